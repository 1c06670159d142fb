import Foundation

/// `project.json`: what a project folder declares about itself.
public struct ProjectManifest: Codable, Sendable, Equatable {
    /// Bumped when the folder layout changes incompatibly.
    public static let currentSchema = 1

    public var schema: Int
    public var name: String
    /// Each label is its own segmentation task with its own context set.
    public var labels: [String]
    public var created: String?
    public var description: String?

    public init(name: String, labels: [String], created: String? = nil, description: String? = nil) {
        self.schema = Self.currentSchema
        self.name = name
        self.labels = labels
        self.created = created
        self.description = description
    }
}

/// One project folder found in the library.
public struct ProjectSummary: Codable, Sendable, Equatable {
    /// The folder name, which is the project's id in URLs.
    public var id: String
    public var name: String
    public var labels: [String]
    public var imageCount: Int
}

/// The folder holding project folders (`Projects/` by default). A project is any subfolder with a
/// `project.json`; other folders and files are left alone.
///
/// ```swift
/// let library = try ProjectLibrary(root: "Projects")
/// for project in library.projects() { print(project.name, project.imageCount) }
/// ```
public struct ProjectLibrary: Sendable {
    public let root: String
    /// `root` with its links resolved: a project folder that is a link must stay below it.
    let resolvedRoot: String

    public init(root: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ProjectStoreError.libraryMissing(root)
        }
        self.root = root
        self.resolvedRoot = FileSystem.resolved(root) ?? root
    }

    /// Projects sorted by id. A folder whose manifest cannot be read is reported in `problems`
    /// instead of hiding the others.
    public func scan() -> (projects: [ProjectSummary], problems: [ProjectStoreError]) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        var projects: [ProjectSummary] = []
        var problems: [ProjectStoreError] = []
        for id in entries.sorted() where Identifier.isValid(id) {
            let folder = root + "/" + id
            guard FileManager.default.fileExists(atPath: ProjectLayout(folder: folder).manifest) else { continue }
            guard FileSystem.isInside(folder, folder: resolvedRoot) else {
                problems.append(.linkLeavesFolder(id))
                continue
            }
            do {
                let manifest = try Self.readManifest(folder: folder, id: id)
                projects.append(ProjectSummary(
                    id: id, name: manifest.name, labels: manifest.labels,
                    imageCount: try Project(id: id, folder: folder, settlingPending: false).imageIDs().count))
            } catch let error as ProjectStoreError {
                problems.append(error)
            } catch {
                problems.append(.unreadableManifest(project: id, reason: "\(error)"))
            }
        }
        return (projects, problems)
    }

    public func projects() -> [ProjectSummary] { scan().projects }

    /// Runs `Project.recover()` on every project (at start-up, after a crash): the projects where
    /// something was settled, with what, and the errors of projects that could not be opened.
    ///
    /// ```swift
    /// for (id, report) in library.recover().settled { print("\(id): \(report)") }
    /// ```
    public func recover() -> (settled: [(id: String, report: Project.Recovery)], problems: [ProjectStoreError]) {
        var settled: [(id: String, report: Project.Recovery)] = []
        var problems: [ProjectStoreError] = []
        for summary in projects() {
            do {
                // Opened without settling, so that the report counts what was settled.
                let report = try Project(id: summary.id, folder: root + "/" + summary.id, settlingPending: false).recover()
                if !report.isEmpty { settled.append((summary.id, report)) }
            } catch let error as ProjectStoreError {
                problems.append(error)
            } catch {
                problems.append(.storage("\(error)"))
            }
        }
        return (settled, problems)
    }

    /// Opens the project folder `id`.
    public func project(_ id: String) throws -> Project {
        guard Identifier.isValid(id) else { throw ProjectStoreError.invalidIdentifier(kind: "project id", value: id) }
        let folder = root + "/" + id
        guard FileManager.default.fileExists(atPath: ProjectLayout(folder: folder).manifest) else {
            throw ProjectStoreError.unknownProject(id)
        }
        guard FileSystem.isInside(folder, folder: resolvedRoot) else { throw ProjectStoreError.linkLeavesFolder(id) }
        return try Project(id: id, folder: folder)
    }

    /// Takes a project out of the library: its folder moves to `.trash/<id>-<time>` in the projects
    /// folder (not listed, restorable by moving it back), under the library's lock and the
    /// project's own, so no writer of any app on the folder is midway through a change.
    public func deleteProject(_ id: String) throws {
        let project = try project(id)
        let stamp = Project.timestamp(Date()).filter(\.isNumber)
        do {
            try FileLock.withLock(root + "/.multiverseg.lock") {
                try FileLock.withLock(project.layout.lock) {
                    try FileSystem.moveAtomically(project.folder, to: root + "/.trash/\(id)-\(stamp)")
                }
            }
        } catch let error as FileSystemError {
            throw ProjectStoreError.storage(error.publicMessage)
        }
    }

    /// Creates a project folder with an id derived from `name` (made unique when taken).
    @discardableResult
    public func createProject(name: String, labels: [String], description: String? = nil) throws -> Project {
        let title = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty, title.count <= 200 else {
            throw ProjectStoreError.invalidIdentifier(kind: "project name", value: name)
        }
        guard let base = Identifier.sanitize(title.lowercased(), droppingExtension: false) else {
            throw ProjectStoreError.invalidIdentifier(kind: "project name", value: name)
        }
        for label in labels where !Identifier.isValid(label) {
            throw ProjectStoreError.invalidIdentifier(kind: "label", value: label)
        }
        guard Set(labels).count == labels.count else {
            throw ProjectStoreError.duplicateLabel(labels.first { label in labels.filter { $0 == label }.count > 1 } ?? "")
        }
        let manifest = ProjectManifest(
            name: title, labels: labels, created: Project.timestamp(Date()), description: description)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let bytes = [UInt8](try encoder.encode(manifest)) + [10]
        // The library lock makes "find a free id, claim it" one step for every app on the folder.
        return try FileLock.withLock(root + "/.multiverseg.lock") {
            var id = base
            var suffix = 2
            while FileManager.default.fileExists(atPath: root + "/" + id) {
                id = "\(base.prefix(120))-\(suffix)"
                suffix += 1
            }
            let layout = ProjectLayout(folder: root + "/" + id)
            do {
                try FileSystem.makeFolder(layout.images)
                // Under the project's own lock too, like every write in a project folder, so that
                // `Project.recover()` (which holds it) never takes this write for an interrupted one.
                try FileLock.withLock(layout.lock) {
                    try FileSystem.writeAtomically(bytes, to: layout.manifest)
                }
            } catch let error as FileSystemError {
                throw ProjectStoreError.storage(error.publicMessage)
            }
            return try Project(id: id, folder: layout.folder)
        }
    }

    static func readManifest(folder: String, id: String) throws -> ProjectManifest {
        let path = ProjectLayout(folder: folder).manifest
        guard FileSystem.isInside(path, folder: FileSystem.resolved(folder) ?? folder) else {
            throw ProjectStoreError.linkLeavesFolder(id + "/project.json")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProjectStoreError.unreadableManifest(project: id, reason: "cannot read the file")
        }
        let manifest: ProjectManifest
        do {
            manifest = try JSONDecoder().decode(ProjectManifest.self, from: data)
        } catch {
            throw ProjectStoreError.unreadableManifest(project: id, reason: "invalid JSON or missing fields")
        }
        guard manifest.schema <= ProjectManifest.currentSchema else {
            throw ProjectStoreError.unsupportedSchema(project: id, schema: manifest.schema)
        }
        return manifest
    }
}
