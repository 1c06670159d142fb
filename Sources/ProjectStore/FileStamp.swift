import Foundation

/// What `stat` says about a file or folder that changes whenever its contents do: device, inode,
/// size, modification and status-change times. Any process or machine that adds, removes or
/// renames an entry of a folder (every write in a project ends in a rename) changes the folder's
/// stamp; rewriting a file changes the file's.
///
/// A stamp is only trusted once it is a little old (`isSettled(after:)`): two changes within one
/// tick of the file system's clock (a second on some shared drives) can leave the same times, so
/// a listing read in that tick may miss the second change. Git calls such entries "racily clean";
/// here they are simply not remembered.
///
/// ```swift
/// if let stamp = FileStamp(path), stamp.isSettled(after: 2) { ... }   // safe to remember what was read
/// ```
struct FileStamp: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modified: Double
    let changed: Double
    /// When the stamp was taken (this machine's clock); not part of equality.
    let takenAt: Double

    /// The stamp of `path` (links followed), or nil when it cannot be read.
    init?(_ path: String) {
        let now = Date().timeIntervalSince1970
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
        size = Int64(status.st_size)
        modified = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) * 1e-9
        changed = Double(status.st_ctim.tv_sec) + Double(status.st_ctim.tv_nsec) * 1e-9
        takenAt = now
    }

    /// Whether the last change lies at least `seconds` before the stamp was taken, so that what
    /// is read now may be remembered.
    func isSettled(after seconds: Double) -> Bool { takenAt - max(modified, changed) >= seconds }

    static func == (a: FileStamp, b: FileStamp) -> Bool {
        a.device == b.device && a.inode == b.inode && a.size == b.size && a.modified == b.modified
            && a.changed == b.changed
    }
}
