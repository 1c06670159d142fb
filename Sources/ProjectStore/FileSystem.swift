import Foundation

/// Why a file operation on a project folder failed. `description` names the file for the person at
/// the terminal; `publicMessage` leaves the path out, for HTTP answers.
public struct FileSystemError: Error, CustomStringConvertible, Equatable {
    /// The system call that failed.
    public let call: String
    public let path: String
    public let code: Int32

    public var description: String { "\(call) failed on \(path): \(String(cString: strerror(code)))" }
    public var publicMessage: String { "storage error (\(call): \(String(cString: strerror(code))))" }
}

/// The one place where project files are written. Every write is atomic — a temporary file in the
/// same folder, fsync, rename over the target, fsync of the folder — so a crash or a killed process
/// leaves either the old or the new file, never a torn one.
public enum FileSystem {
    /// Writes `bytes` to `path` atomically, creating missing parent folders.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try makeFolder(folder)
        let name = (path as NSString).lastPathComponent
        let temporary = folder + "/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError(call: "open", path: temporary, code: errno) }
        var committed = false
        defer {
            if !committed { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FileSystemError(call: "write", path: temporary, code: errno)
                }
                offset += written
            }
            guard fsync(fd) == 0 else { throw FileSystemError(call: "fsync", path: temporary, code: errno) }
        }
        guard rename(temporary, path) == 0 else { throw FileSystemError(call: "rename", path: path, code: errno) }
        committed = true
        syncFolder(folder)
    }

    /// Moves a file written elsewhere in the same file system into place in one step (rename),
    /// then syncs both folders so the move survives a power cut.
    public static func moveAtomically(_ source: String, to destination: String) throws {
        let folder = (destination as NSString).deletingLastPathComponent
        try makeFolder(folder)
        guard rename(source, destination) == 0 else {
            throw FileSystemError(call: "rename", path: destination, code: errno)
        }
        syncFolder(folder)
        syncFolder((source as NSString).deletingLastPathComponent)
    }

    /// Deletes a file and syncs its folder, so the deletion survives a power cut. A file already
    /// gone is not an error (a retry after a crash).
    public static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw FileSystemError(call: "unlink", path: path, code: errno) }
        syncFolder((path as NSString).deletingLastPathComponent)
    }

    /// Writes a folder of files so that `destination` is either absent, the complete old folder or
    /// the complete new one, never half written: the files go into a hidden temporary folder beside
    /// it, which is renamed into place. An existing destination is replaced only when it holds
    /// nothing but files of the kind written (`allowedExtension`, or named in `allowedNames`), so a mistyped path never wipes
    /// unrelated data.
    ///
    /// ```swift
    /// try FileSystem.writeFolderAtomically([("a.png", bytes)], to: "out/masks", allowedExtension: "png")
    /// ```
    public static func writeFolderAtomically(
        _ files: [(name: String, bytes: [UInt8])], to destination: String, allowedExtension: String,
        allowedNames: Set<String> = []
    ) throws {
        let path = destination.hasSuffix("/") && destination.count > 1 ? String(destination.dropLast()) : destination
        let parent = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let parentFolder = parent.isEmpty ? "." : parent
        try makeFolder(parentFolder)
        let base = parentFolder + "/"
        var isDirectory: ObjCBool = false
        let existing = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if existing {
            let entries = isDirectory.boolValue ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []) : [name]
            guard isDirectory.boolValue, entries.allSatisfy({ $0.hasSuffix("." + allowedExtension) || allowedNames.contains($0) }) else {
                throw FileSystemError(call: "replace", path: path, code: ENOTEMPTY)
            }
        }
        let token = "\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let temporary = base + ".\(name).\(token).tmp"
        guard mkdir(temporary, 0o755) == 0 else { throw FileSystemError(call: "mkdir", path: temporary, code: errno) }
        var committed = false
        defer { if !committed { try? FileManager.default.removeItem(atPath: temporary) } }
        for file in files {
            try writeAtomically(file.bytes, to: temporary + "/" + file.name)
        }
        syncFolder(temporary)
        // rename(2) replaces an empty folder in one step; a full one is moved aside first, so a
        // kill in between leaves no destination at all rather than a mix.
        var replaced: String?
        if rename(temporary, path) != 0 {
            guard errno == ENOTEMPTY || errno == EEXIST else {
                throw FileSystemError(call: "rename", path: path, code: errno)
            }
            let old = base + ".\(name).\(token).old.tmp"
            guard rename(path, old) == 0 else { throw FileSystemError(call: "rename", path: path, code: errno) }
            guard rename(temporary, path) == 0 else {
                let code = errno
                _ = rename(old, path)
                throw FileSystemError(call: "rename", path: path, code: code)
            }
            replaced = old
        }
        committed = true
        syncFolder(parentFolder)
        if let replaced { try? FileManager.default.removeItem(atPath: replaced) }
    }

    /// Whether `name` is a temporary file of an interrupted atomic write (`.<name>.<pid>.<n>.tmp`).
    public static func isTemporary(_ name: String) -> Bool {
        name.hasPrefix(".") && name.hasSuffix(".tmp")
    }

    /// Creates a folder and its parents if missing.
    public static func makeFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FileSystemError(call: "mkdir", path: path, code: (error as NSError).code == 0 ? EIO : EACCES)
        }
    }

    /// Copies a file by writing its bytes atomically to the destination.
    public static func copy(_ source: String, to destination: String) throws {
        guard let data = FileManager.default.contents(atPath: source) else {
            throw FileSystemError(call: "read", path: source, code: errno == 0 ? ENOENT : errno)
        }
        try writeAtomically([UInt8](data), to: destination)
    }

    public static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileSystemError(call: "read", path: path, code: errno == 0 ? ENOENT : errno)
        }
        return [UInt8](data)
    }

    /// The first `count` bytes of a file (fewer when it is shorter), and whether that is all of it.
    /// Reading a header this way costs the same for a 1 KB and a 100 MB image.
    public static func readPrefix(_ path: String, count: Int) throws -> (bytes: [UInt8], complete: Bool) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(call: "open", path: path, code: errno) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count + 1)
        var filled = 0
        while filled < bytes.count {
            let got = bytes[filled...].withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(call: "read", path: path, code: errno)
            }
            if got == 0 { break }
            filled += got
        }
        // One byte more than asked tells whether the file goes on.
        let complete = filled <= count
        return (Array(bytes[..<min(filled, count)]), complete)
    }

    public static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// Whether anything (a file, a folder, a link, even a dangling one) is at `path`: `exists`
    /// follows links and says no for a dangling one.
    public static func hasEntry(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// Whether `path` itself is a symbolic link (not followed).
    public static func isLink(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
    }

    /// One entry of a folder as `readdir` gives it: no `stat` per entry, so listing a folder of
    /// 20,000 files costs a few `getdents` calls.
    public struct FolderEntry: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case file, folder, link, other }
        public let name: String
        /// Changes when the entry is replaced (every project write ends in a rename over it).
        public let inode: UInt64
        public let kind: Kind
    }

    /// The entries of `folder` but `.` and `..`, in no particular order; nil when it cannot be
    /// opened (missing, not a folder, no permission). A file system that does not say an entry's
    /// type (`DT_UNKNOWN`) gets an `lstat` for that entry.
    ///
    /// ```swift
    /// let links = FileSystem.entries(of: "/p/demo/proposals/head")?.filter { $0.kind == .link }
    /// ```
    public static func entries(of folder: String) -> [FolderEntry]? {
        guard let directory = opendir(folder) else { return nil }
        defer { closedir(directory) }
        var entries: [FolderEntry] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            // dirent.h: DT_DIR 4, DT_REG 8, DT_LNK 10, DT_UNKNOWN 0.
            var type = Int32(entry.pointee.d_type)
            if type == 0 {
                var status = stat()
                guard lstat(folder + "/" + name, &status) == 0 else { continue }
                switch status.st_mode & S_IFMT {
                case S_IFDIR: type = 4
                case S_IFREG: type = 8
                case S_IFLNK: type = 10
                default: type = -1
                }
            }
            let kind: FolderEntry.Kind = switch type {
            case 4: .folder
            case 8: .file
            case 10: .link
            default: .other
            }
            entries.append(FolderEntry(name: name, inode: UInt64(entry.pointee.d_ino), kind: kind))
        }
        return entries
    }

    /// The path with every symbolic link and `..` resolved (realpath), or nil when it does not exist.
    public static func resolved(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// True when `path` stays inside `folder` (an already resolved path) after following every
    /// symbolic link on the way. For a path that does not exist yet, its nearest existing ancestor
    /// is resolved, so a write through a linked folder is caught too. The missing rest is plain
    /// names (callers only build paths from valid identifiers).
    ///
    /// ```swift
    /// FileSystem.isInside("/p/demo/masks/head/a.png", folder: "/p/demo")   // false if masks -> /etc
    /// ```
    public static func isInside(_ path: String, folder: String) -> Bool {
        var existing = path
        var rest: [String] = []
        var base = resolved(existing)
        while base == nil {
            // A dangling link is refused: following it later could create a file anywhere.
            var status = stat()
            if lstat(existing, &status) == 0 { return false }
            let parent = (existing as NSString).deletingLastPathComponent
            guard parent != existing, !parent.isEmpty else { return false }
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = parent
            base = resolved(existing)
        }
        let full = ([base!] + rest).joined(separator: "/")
        return full == folder || full.hasPrefix(folder == "/" ? "/" : folder + "/")
    }

    /// Makes a rename durable: without it the new directory entry may not survive a power cut.
    private static func syncFolder(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

/// An exclusive advisory lock on a file (flock), held until `unlock()` or deinit. Serialises the
/// writers of one project folder across processes — two collaborators' apps on a shared folder —
/// while an in-process mutex serialises this process's threads (flock locks belong to open file
/// descriptions, so it would not exclude two threads that each open the file).
public final class FileLock {
    private static let processLocks = NSLock()
    nonisolated(unsafe) private static var mutexes: [String: NSLock] = [:]

    private let fd: Int32
    private let mutex: NSLock
    private var held = true

    /// Blocks until the lock on `path` (created if missing) is ours.
    public init(path: String) throws {
        Self.processLocks.lock()
        let mutex = Self.mutexes[path] ?? NSLock()
        Self.mutexes[path] = mutex
        Self.processLocks.unlock()
        mutex.lock()
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            mutex.unlock()
            throw FileSystemError(call: "open", path: path, code: errno)
        }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let code = errno
            close(fd)
            mutex.unlock()
            throw FileSystemError(call: "flock", path: path, code: code)
        }
        self.fd = fd
        self.mutex = mutex
    }

    public func unlock() {
        guard held else { return }
        held = false
        flock(fd, LOCK_UN)
        close(fd)
        mutex.unlock()
    }

    deinit { unlock() }

    /// Runs `body` holding the lock on `path`.
    public static func withLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let lock = try FileLock(path: path)
        defer { lock.unlock() }
        return try body()
    }
}
