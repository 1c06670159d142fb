import PNGCodec

/// Why a project operation failed. Messages name ids, never absolute paths, so they can go into
/// HTTP answers as they are.
public enum ProjectStoreError: Error, CustomStringConvertible, Equatable {
    case libraryMissing(String)
    case unreadableManifest(project: String, reason: String)
    case unsupportedSchema(project: String, schema: Int)
    case invalidIdentifier(kind: String, value: String)
    case unknownProject(String)
    case unknownImage(String)
    case unknownVolume(String)
    case unknownLabel(String)
    case duplicateLabel(String)
    /// Files of a label of that name are already in the folder (`item`, relative to the project).
    case labelFilesExist(label: String, item: String)
    /// An export with nothing in it; `reason` says why.
    case nothingToExport(String)
    /// More labels than a multi-class PNG's 8 bits can number.
    case tooManyLabels(Int)
    /// An imported file whose bytes equal the image `existing` already in the project.
    case duplicateImage(name: String, existing: String)
    case notInContext(image: String, label: String)
    case notAccepted(image: String, label: String)
    case noProposal(image: String, label: String)
    /// A proposal changed by someone else between listing it and acting on it.
    case proposalChanged(image: String, label: String, change: String)
    case invalidImage(name: String, reason: String)
    case maskSizeMismatch(image: String, expected: String, actual: String)
    /// A label window that makes no window (see `LabelWindow.validate`).
    case invalidWindow(String)
    case storage(String)
    /// A symbolic link (or the project folder itself) leads outside the project or the library.
    case linkLeavesFolder(String)

    public var description: String {
        switch self {
        case .libraryMissing(let path):
            // Only the terminal sees this one; the server answers with a path-free message.
            return "the projects folder \(path) does not exist; create it or pass --projects DIR"
        case let .unreadableManifest(project, reason):
            return "project '\(project)': a manifest is not readable (\(reason)); fix or remove the file"
        case let .unsupportedSchema(project, schema):
            return "project '\(project)' uses schema \(schema), newer than this app understands (\(ProjectManifest.currentSchema)); update MultiverSeg"
        case let .invalidIdentifier(kind, value):
            return "invalid \(kind) '\(value.prefix(64))': use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
        case .unknownProject(let id): return "no project '\(id)'"
        case .unknownImage(let id): return "no image '\(id)' in this project"
        case .unknownVolume(let id): return "no volume '\(id)' in this project"
        case .unknownLabel(let label): return "no label '\(label)' in this project; add it first"
        case .duplicateLabel(let label): return "the project already has a label '\(label)'"
        case let .labelFilesExist(label, item):
            return "'\(item)' is already in the project folder although there is no label '\(label)'; move it away or choose another name"
        case .nothingToExport(let reason): return "nothing to export: \(reason)"
        case .tooManyLabels(let count):
            return "a multi-class PNG numbers at most 255 labels and this project has \(count); export the labels one by one"
        case let .duplicateImage(name, existing):
            return "'\(name.prefix(64))' is identical to the image '\(existing)' already in this project; it was not imported again"
        case let .notInContext(image, label): return "image '\(image)' is not in the context set of '\(label)'"
        case let .notAccepted(image, label): return "image '\(image)' has no accepted mask for '\(label)'"
        case let .noProposal(image, label):
            return "image '\(image)' has no proposal for '\(label)' (reviewed or removed meanwhile?); reload the review queue"
        case let .proposalChanged(image, label, change):
            return "the proposal of '\(image)' for '\(label)' \(change); reload the review queue and look at it again"
        case let .invalidImage(name, reason): return "'\(name.prefix(64))' is not a usable image: \(reason)"
        case let .maskSizeMismatch(image, expected, actual):
            return "the mask for '\(image)' is \(actual) but the image is \(expected); send a mask of the image's size"
        case .invalidWindow(let reason): return "invalid window: \(reason)"
        case .storage(let message): return message
        case .linkLeavesFolder(let item):
            return "'\(item.prefix(200))' is a symbolic link that leads outside its folder; MultiverSeg does not follow "
                + "such links: replace the link with the file or folder itself"
        }
    }
}
