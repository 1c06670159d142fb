import Foundation
import Synchronization

/// One label's proposals (`proposals/<label>/`) as this process last read them: every record
/// decoded once and kept in queue order, so that a review queue of 9,000 proposals costs one
/// `stat` of the folder while nobody writes there, and one listing (names and inode numbers, no
/// `stat` per file) after someone did.
///
/// The folder is listed again when its stamp (`FileStamp`) changed or is too recent to trust
/// (two changes within one tick of the file system's clock can leave the same stamp). A record is
/// read again only when its inode changed: every writer replaces a record by rename
/// (Docs/project-format.md §5), which gives the name a new inode. A record edited in place keeps
/// its inode and is not seen until an accept or reject of it finds the difference (`forget`) or
/// the process restarts; the format asks writers not to do that.
///
/// ```swift
/// let snapshot = ProposalIndex.shared.snapshot(of: layout.proposals(label: "head"), project: resolvedFolder)
/// print(snapshot.queue.first?.image ?? "nothing to review")
/// ```
final class ProposalIndex: Sendable {
    static let shared = ProposalIndex()

    /// A readable proposal: a record that decodes, with a PNG beside it.
    struct Proposal: Sendable, Equatable {
        let image: String
        let record: ProposalRecord
        /// A hash of the record file's bytes (see `ProposalItem.tag`).
        let tag: String
    }

    /// What the folder holds.
    struct Snapshot: Sendable {
        /// The readable proposals, most uncertain first, ties by image id.
        let queue: [Proposal]
        /// Every id with a record and a PNG (readable or not), sorted.
        let ids: [String]
        /// Ids whose record or PNG is a link leading out of the project.
        let leaving: Set<String>
        /// Names this snapshot: a new one gets a new number (0 for none).
        let generation: Int

        static let empty = Snapshot(queue: [], ids: [], leaving: [], generation: 0)
    }

    /// What a label's review queue is built from (`Project.proposalQueue`): the snapshot, the
    /// context revision and the stamps of `images/` and `masks/<label>/` (the image ids and the
    /// accepted masks). Equal keys of settled stamps give equal queues.
    struct QueueKey: Equatable, Sendable {
        let snapshot: Int
        let revision: String
        let images: FileStamp
        let masks: FileStamp
    }

    /// What one listing found for an id.
    private struct Listed: Sendable {
        let recordInode: UInt64
        /// With the record's: a removed proposal made again can get a freed inode number back,
        /// both files getting both numbers back is far less likely.
        let maskInode: UInt64
        /// Nil when the record does not decode (or leads out).
        let proposal: Proposal?
        let leaving: Bool
        /// A link is read again at every listing: its inode does not change with its target.
        let isLink: Bool
    }

    private struct Folder: Sendable {
        let stamp: FileStamp
        /// The stamp was settled when listed, so an equal stamp later means an equal folder.
        let trusted: Bool
        let listed: [String: Listed]
        let snapshot: Snapshot
        /// Times this folder was listed, for tests and measurements.
        let listings: Int
        /// The queue built last from this folder's snapshot.
        var queue: (key: QueueKey, value: ProposalQueue)?
    }

    /// Folders remembered at most (labels of all projects opened); beyond that all are dropped.
    let capacity: Int
    /// As `StampedCache.settleSeconds`.
    let settleSeconds: Double
    private let folders = Mutex<[String: Folder]>([:])
    private let generations = Mutex(0)

    init(capacity: Int = 256, settleSeconds: Double = 2) {
        self.capacity = capacity
        self.settleSeconds = settleSeconds
    }

    /// How many times `folder` was listed since it was last forgotten (for tests and measurements).
    func listings(of folder: String) -> Int { folders.withLock { $0[folder]?.listings ?? 0 } }

    /// The proposals in `folder` (a label's proposals folder, checked to be inside the project,
    /// whose resolved path is `project`). A missing folder holds none.
    func snapshot(of folder: String, project: String) -> Snapshot {
        guard let stamp = FileStamp(folder) else { return .empty }
        let known = folders.withLock { $0[folder] }
        if let known, known.trusted, known.stamp == stamp { return known.snapshot }
        guard let entries = FileSystem.entries(of: folder) else { return .empty }
        var masks: [String: FileSystem.FolderEntry] = [:]
        for entry in entries where entry.name.hasSuffix(".png") { masks[entry.name] = entry }
        // Read outside the lock: two requests may list at once, and each result is right.
        var listed: [String: Listed] = [:]
        var changed = false
        for entry in entries where entry.name.hasSuffix(".json") && !FileSystem.isTemporary(entry.name) {
            let id = String(entry.name.dropLast(5))
            guard Identifier.isValid(id), let mask = masks[id + ".png"],
                  entry.kind == .file || entry.kind == .link, mask.kind == .file || mask.kind == .link else { continue }
            let isLink = entry.kind == .link || mask.kind == .link
            if !isLink, let old = known?.listed[id], !old.isLink, old.recordInode == entry.inode,
               old.maskInode == mask.inode {
                listed[id] = old
                continue
            }
            changed = true
            let leaving = isLink && [entry.name, mask.name].contains { name in
                let path = folder + "/" + name
                return FileSystem.isLink(path) && !FileSystem.isInside(path, folder: project)
            }
            let proposal = leaving ? nil : (try? FileSystem.read(folder + "/" + entry.name)).flatMap {
                Self.decoded($0).map { Proposal(image: id, record: $0.record, tag: $0.tag) }
            }
            listed[id] = Listed(recordInode: entry.inode, maskInode: mask.inode, proposal: proposal, leaving: leaving, isLink: isLink)
        }
        // Nothing read and nothing gone: the order from last time still holds.
        let snapshot: Snapshot
        if let known, !changed, listed.count == known.listed.count {
            snapshot = known.snapshot
        } else {
            let queue = listed.values.compactMap(\.proposal).sorted {
                $0.record.uncertainty != $1.record.uncertainty
                    ? $0.record.uncertainty > $1.record.uncertainty : $0.image < $1.image
            }
            let generation = generations.withLock { $0 += 1; return $0 }
            snapshot = Snapshot(queue: queue, ids: listed.keys.sorted(),
                                leaving: Set(listed.filter(\.value.leaving).keys), generation: generation)
        }
        let trusted = stamp.isSettled(after: settleSeconds) && FileStamp(folder) == stamp
        let capacity = capacity
        folders.withLock { folders in
            if folders[folder] == nil, folders.count >= capacity { folders.removeAll() }
            let old = folders[folder]
            folders[folder] = Folder(stamp: stamp, trusted: trusted, listed: listed, snapshot: snapshot,
                                     listings: (old?.listings ?? 0) + 1,
                                     queue: old?.queue?.key.snapshot == snapshot.generation ? old?.queue : nil)
        }
        return snapshot
    }

    /// The queue `make` builds for `key`, or the one it built last time for an equal key whose
    /// stamps are settled: a page of a 9,000-proposal queue then costs what a page of 90 costs.
    func queue(of folder: String, key: QueueKey, make: () throws -> ProposalQueue) rethrows -> ProposalQueue {
        if let known = folders.withLock({ $0[folder]?.queue }), known.key == key { return known.value }
        let queue = try make()
        guard key.images.isSettled(after: settleSeconds), key.masks.isSettled(after: settleSeconds) else { return queue }
        folders.withLock { folders in
            // Kept with the snapshot it was built from; a newer snapshot drops it.
            guard folders[folder]?.snapshot.generation == key.snapshot else { return }
            folders[folder]?.queue = (key, queue)
        }
        return queue
    }

    /// Forgets what was read from `folder`, so the next snapshot reads every record again: for a
    /// record found to differ from the remembered one (a writer that broke the rules, or an
    /// inode number reused).
    func forget(_ folder: String) {
        _ = folders.withLock { $0.removeValue(forKey: folder) }
    }

    /// A record file's bytes decoded, with its tag (a hash of the bytes); nil when unreadable.
    static func decoded(_ bytes: [UInt8]) -> (record: ProposalRecord, tag: String)? {
        guard let record = try? JSONDecoder().decode(ProposalRecord.self, from: Data(bytes)) else { return nil }
        return (record, StableHash.hex(StableHash.fnv1a64(bytes: bytes)))
    }
}
