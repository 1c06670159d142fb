import Foundation
import Synchronization

/// What this process read from project folders, remembered while the folders' stamps
/// (`FileStamp`) say nothing changed, so that a request in a project of 10,000 images does not
/// list and stat 10,000 files again. Every use checks the stamp first, so a change by this app,
/// another app on a shared folder or a hand edit shows up at the next read, as without the cache.
///
/// Two kinds: a folder's listing turned into a value (`value(of:kind:make:)`: image ids, accepted
/// masks), and what was read from a file (`value(ofFile:kind:read:)`: an image's PNG header).
///
/// ```swift
/// let ids = StampedCache.shared.value(of: layout.images, kind: "image-ids") { names in names.filter { ... } }
/// ```
final class StampedCache: Sendable {
    static let shared = StampedCache()

    /// Listings and headers remembered at most; beyond that the least recently used half is dropped.
    let capacity: Int
    /// Seconds a folder or file must have been unchanged before what was read from it is
    /// remembered (`FileStamp.isSettled(after:)`); also covers a shared drive's clock running
    /// somewhat behind this machine's.
    let settleSeconds: Double

    private struct Entry {
        let stamp: FileStamp
        let value: any Sendable
        var used: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var clock: UInt64 = 0
        var computed = 0
        var reused = 0
    }

    private let state = Mutex(State())

    init(capacity: Int = 100_000, settleSeconds: Double = 2) {
        self.capacity = capacity
        self.settleSeconds = settleSeconds
    }

    /// `make` applied to the names in `folder`, or what it gave last time when the folder's stamp
    /// is the same and settled. A folder that cannot be listed gives `make([])`, not remembered.
    func value<T: Sendable>(of folder: String, kind: String, make: ([String]) -> T) -> T {
        let key = kind + "\u{0}" + folder
        guard let stamp = FileStamp(folder) else { return make([]) }
        if let hit: T = lookup(key, stamp: stamp) { return hit }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let value = make(names)
        // Kept only when nothing changed while the folder was read, and its last change is old
        // enough that no later one can hide behind the same times.
        if stamp.isSettled(after: settleSeconds), FileStamp(folder) == stamp { store(key, stamp: stamp, value: value) }
        return value
    }

    /// `read(path)` for a file, or what it gave last time when the file's stamp is the same and
    /// settled. Errors are not remembered.
    func value<T: Sendable>(ofFile path: String, kind: String, read: (String) throws -> T) throws -> T {
        let key = kind + "\u{0}" + path
        guard let stamp = FileStamp(path) else { return try read(path) }
        if let hit: T = lookup(key, stamp: stamp) { return hit }
        let value = try read(path)
        if stamp.isSettled(after: settleSeconds), FileStamp(path) == stamp { store(key, stamp: stamp, value: value) }
        return value
    }

    /// (values computed, values reused) since the start, for tests and measurements.
    var counts: (computed: Int, reused: Int) { state.withLock { ($0.computed, $0.reused) } }

    private func lookup<T>(_ key: String, stamp: FileStamp) -> T? {
        state.withLock { state -> T? in
            guard var entry = state.entries[key], entry.stamp == stamp, let value = entry.value as? T else {
                state.computed += 1
                return nil
            }
            state.clock += 1
            entry.used = state.clock
            state.entries[key] = entry
            state.reused += 1
            return value
        }
    }

    private func store(_ key: String, stamp: FileStamp, value: any Sendable) {
        let capacity = capacity
        state.withLock { state in
            state.clock += 1
            state.entries[key] = Entry(stamp: stamp, value: value, used: state.clock)
            guard state.entries.count > capacity else { return }
            // Rare (a hundred thousand files read): drop the least recently used half at once.
            let cut = state.entries.values.map(\.used).sorted()[state.entries.count / 2]
            state.entries = state.entries.filter { $0.value.used > cut }
        }
    }
}
