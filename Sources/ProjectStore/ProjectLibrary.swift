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

/// Why a project folder could not be read.
public enum ProjectStoreError: Error, CustomStringConvertible, Equatable {
    case libraryMissing(String)
    case unreadableManifest(project: String, reason: String)
    case unsupportedSchema(project: String, schema: Int)

    public var description: String {
        switch self {
        case .libraryMissing(let path):
            return "the projects folder \(path) does not exist; create it or pass --projects DIR"
        case let .unreadableManifest(project, reason):
            return "project '\(project)': project.json is not readable (\(reason)); fix or remove the file"
        case let .unsupportedSchema(project, schema):
            return "project '\(project)' uses schema \(schema), newer than this app understands (\(ProjectManifest.currentSchema)); update MultiverSeg"
        }
    }
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

    public init(root: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ProjectStoreError.libraryMissing(root)
        }
        self.root = root
    }

    /// Projects sorted by id. A folder whose manifest cannot be read is reported in `problems`
    /// instead of hiding the others.
    public func scan() -> (projects: [ProjectSummary], problems: [ProjectStoreError]) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        var projects: [ProjectSummary] = []
        var problems: [ProjectStoreError] = []
        for id in entries.sorted() where !id.hasPrefix(".") {
            let folder = root + "/" + id
            guard FileManager.default.fileExists(atPath: folder + "/project.json") else { continue }
            do {
                let manifest = try Self.readManifest(folder: folder, id: id)
                let images = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/images")) ?? []
                projects.append(ProjectSummary(
                    id: id, name: manifest.name, labels: manifest.labels,
                    imageCount: images.filter { $0.lowercased().hasSuffix(".png") }.count))
            } catch let error as ProjectStoreError {
                problems.append(error)
            } catch {
                problems.append(.unreadableManifest(project: id, reason: "\(error)"))
            }
        }
        return (projects, problems)
    }

    public func projects() -> [ProjectSummary] { scan().projects }

    static func readManifest(folder: String, id: String) throws -> ProjectManifest {
        guard let data = FileManager.default.contents(atPath: folder + "/project.json") else {
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
