#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Failures reading or writing a weights or checkpoint file on disk.
public enum WeightsIOError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case notARegularFile(path: String)
    case fileTooLarge(path: String, size: Int64, limit: Int64)
    case readFailed(path: String, reason: String)
    case fileChangedWhileReading(path: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open \(path): \(reason); check the path and its permissions"
        case .notARegularFile(let path):
            "\(path) is not a regular file; give the path of a weights file"
        case .fileTooLarge(let path, let size, let limit):
            "\(path) is \(size) bytes, over the limit of \(limit) bytes; this is not a weights file this program can load"
        case .readFailed(let path, let reason):
            "reading \(path) failed: \(reason)"
        case .fileChangedWhileReading(let path):
            "\(path) changed size while it was being read; wait until whatever writes it has finished, then retry"
        case .cannotWrite(let path, let reason):
            "cannot write \(path): \(reason); check that the folder exists and is writable"
        }
    }
}

/// Thin wrappers over the POSIX calls used to load and save weights (the only C calls in this folder).
enum WeightsFileSystem {
    private static func errnoText() -> String { String(cString: strerror(errno)) }

    /// The whole file, read only after checking it is a regular file of at most `maxBytes` bytes.
    static func readFile(atPath path: String, maxBytes: Int64) throws(WeightsIOError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: errnoText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .readFailed(path: path, reason: errnoText()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notARegularFile(path: path) }
        let size = Int64(info.st_size)
        guard size <= maxBytes else { throw .fileTooLarge(path: path, size: size, limit: maxBytes) }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        while done < bytes.count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(done))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw .readFailed(path: path, reason: errnoText())
            }
            if got == 0 { throw .fileChangedWhileReading(path: path) }
            done += got
        }
        // A byte past the size seen by fstat means the file grew while we read it.
        var extra: UInt8 = 0
        if pread(fd, &extra, 1, off_t(done)) > 0 { throw .fileChangedWhileReading(path: path) }
        return bytes
    }

    /// Writes `bytes` to `path` atomically: a temporary file beside it, fsync, then rename, so a
    /// reader never sees a half-written file.
    static func writeFileAtomically(_ bytes: [UInt8], toPath path: String) throws(WeightsIOError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotWrite(path: path, reason: errnoText()) }
        var closed = false
        defer { if !closed { close(fd); unlink(temporary) } }
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + done, buffer.count - done)
            }
            if wrote < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite(path: path, reason: errnoText())
            }
            done += wrote
        }
        guard fsync(fd) == 0 else { throw .cannotWrite(path: path, reason: errnoText()) }
        closed = true
        guard close(fd) == 0 else {
            unlink(temporary)
            throw .cannotWrite(path: path, reason: errnoText())
        }
        guard rename(temporary, path) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw .cannotWrite(path: path, reason: reason)
        }
    }
}
