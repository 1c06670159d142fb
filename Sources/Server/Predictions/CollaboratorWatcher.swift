import ProjectStore
import Synchronization

/// Notices context changes that another app wrote to a shared project folder. It remembers the
/// last context revision it saw (or was told of) per label; `changes` reads the revisions of the
/// labels pages have open and returns those that moved since.
///
/// ```swift
/// let watcher = CollaboratorWatcher()
/// watcher.watch(key, revision: project.contextRevision(label: "bone"))
/// // ... a collaborator accepts a mask ...
/// watcher.changes(among: [key]) { $0 == key ? project.contextRevision(label: "bone") : nil }   // [key]
/// ```
final class CollaboratorWatcher: Sendable {
    /// How often the worker looks: often enough that a collaborator's accept shows up while the
    /// user still looks at the page, seldom enough that reading manifests costs nothing.
    static let interval: Double = 2

    private let seen = Mutex<[LabelKey: ContextRevision]>([:])

    /// Starts watching `key` from `revision`, unless it is watched already.
    func watch(_ key: LabelKey, revision: ContextRevision) {
        seen.withLock { if $0[key] == nil { $0[key] = revision } }
    }

    /// Records a change this app made and announced itself, so it is not reported again.
    func record(_ key: LabelKey, revision: ContextRevision) {
        seen.withLock { $0[key] = revision }
    }

    /// The watched labels among `open` whose revision differs from the last one seen, which
    /// becomes the new one. `revision` reads a label's revision now (nil: it cannot be told,
    /// e.g. the project is gone; the label is skipped).
    func changes(among open: Set<LabelKey>, revision: (LabelKey) -> ContextRevision?) -> [LabelKey] {
        let watched = seen.withLock { Array($0.keys) }
        var changed: [LabelKey] = []
        for key in watched where open.contains(key) {
            // Read outside the lock: it goes to disk.
            guard let now = revision(key) else { continue }
            let moved = seen.withLock { seen in
                defer { seen[key] = now }
                return seen[key] != now
            }
            if moved { changed.append(key) }
        }
        return changed
    }
}
