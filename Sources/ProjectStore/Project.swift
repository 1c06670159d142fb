import Foundation

/// One project folder, in the format `ProjectLayout` spells out (images, volumes, accepted masks,
/// context manifests, history, staged accepts, the lock). Its operations are grouped by concern:
/// images (`Project+Images`), volumes (`Project+Volumes`), masks, the context set and history
/// (`Project+Context`), crash recovery (`Project+Recovery`) and export (`Project+Export`).
///
/// Symbolic links are followed only while they stay inside the project folder: a link in `images/`,
/// `masks/` or `context/` that leads elsewhere is refused (`linkLeavesFolder`), so no id, label or
/// planted link can make the app read or write outside the folder.
///
/// Every read looks at the disk, so changes written by a collaborator's app on a shared folder show
/// up at once. What is remembered between calls (the listings of `images/`, `masks/<label>/` and
/// `volumes/`, image headers, volume sidecars: `StampedCache`) is used only while the folder's or
/// file's stamp is unchanged.
/// Writes take the project lock and are atomic; an accept, which changes two files, is made
/// crash-safe by staging the mask in `.pending/` and committing it with the manifest (see `accept`).
///
/// ```swift
/// let project = try library.project("fetal-head-demo")
/// try project.accept(label: "head", image: "000_HC", mask: mask, annotator: "ana", interactions: 3)
/// ```
public final class Project: Sendable {
    public let id: String
    public let folder: String
    /// `folder` with its links resolved: the boundary every file access is checked against.
    let resolvedFolder: String
    /// Every path in the folder.
    let layout: ProjectLayout

    init(id: String, folder: String, settlingPending: Bool = true) throws {
        self.id = id
        self.folder = folder
        self.resolvedFolder = FileSystem.resolved(folder) ?? folder
        self.layout = ProjectLayout(folder: folder)
        _ = try manifest()
        // An accept cut short by a crash leaves a staged mask; settle it before anyone reads, so a
        // committed entry never shows its old mask. Best effort: a read-only folder still opens.
        // A label rename or delete in progress in another app holds the lock: wait for it (or finish
        // it, when its app died) so that no request sees the label's files half moved.
        if settlingPending, Self.hasEntries(layout.pending) || FileSystem.hasEntry(layout.labelChange) {
            try? withLock { _ = try recoverPending() }
        }
    }

    // MARK: Manifest and labels

    public func manifest() throws -> ProjectManifest {
        try ProjectLibrary.readManifest(folder: folder, id: id)
    }

    public func labels() throws -> [String] { try manifest().labels }

    /// Adds a label (a new segmentation task with its own, empty context set).
    public func addLabel(_ label: String) throws {
        try requireValid(label, kind: "label")
        try mutate {
            var manifest = try manifest()
            guard !manifest.labels.contains(label) else { throw ProjectStoreError.duplicateLabel(label) }
            manifest.labels.append(label)
            try write(json: manifest, to: layout.manifest)
        }
    }

    /// Renames the project. Only its display name changes: the id (its folder's name) stays, so
    /// open pages, links and collaborators' apps keep working.
    public func rename(to name: String) throws {
        let title = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty, title.count <= 200 else {
            throw ProjectStoreError.invalidIdentifier(kind: "project name", value: name)
        }
        try withLock {
            var manifest = try manifest()
            manifest.name = title
            try write(json: manifest, to: layout.manifest)
        }
    }

    // MARK: Helpers

    func requireValid(_ value: String, kind: String) throws {
        guard Identifier.isValid(value) else { throw ProjectStoreError.invalidIdentifier(kind: kind, value: value) }
    }

    func requireLabel(_ label: String) throws {
        try requireValid(label, kind: "label")
        guard try labels().contains(label) else { throw ProjectStoreError.unknownLabel(label) }
    }

    func withLock<T>(_ body: () throws -> T) throws -> T {
        let lock = try storage { try FileLock(path: layout.lock) }
        defer { lock.unlock() }
        return try body()
    }

    /// Runs a change of the context under the project lock, after settling any accept that a crash
    /// interrupted (so a change never builds on a half-finished one).
    func mutate<T>(_ body: () throws -> T) throws -> T {
        try withLock {
            _ = try recoverPending()
            return try body()
        }
    }

    static func hasEntries(_ folder: String) -> Bool {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return false }
        return !names.isEmpty
    }

    func write<T: Encodable>(json value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        let target = try inside(path)
        try storage { try FileSystem.writeAtomically([UInt8](data) + [10], to: target) }
    }

    /// Returns `path` when it stays inside the project folder after following links; throws
    /// `linkLeavesFolder` naming it relative to the library (never the absolute path) otherwise.
    func inside(_ path: String) throws -> String {
        guard FileSystem.isInside(path, folder: resolvedFolder) else {
            throw ProjectStoreError.linkLeavesFolder(id + path.dropFirst(folder.count))
        }
        return path
    }

    /// Maps file-system failures to a store error whose message has no absolute path.
    func storage<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FileSystemError {
            throw ProjectStoreError.storage(error.publicMessage)
        }
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
