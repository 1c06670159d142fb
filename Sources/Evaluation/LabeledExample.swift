import Foundation
import Imaging
import Inference
import ProjectStore

/// One image of a task with its ground-truth mask.
public struct LabeledExample: Sendable {
    public let id: String
    /// The image's file name when read from a folder (`id` plus its extension as written).
    public private(set) var fileName: String
    public let image: GreyImage
    public let truth: BinaryMask

    public init(id: String, image: GreyImage, truth: BinaryMask) {
        precondition(image.width == truth.width && image.height == truth.height, "image and mask sizes differ")
        self.id = id
        self.fileName = "\(id).png"
        self.image = image
        self.truth = truth
    }
}

/// Failures while reading a task folder.
public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    case folderMissing(path: String)
    case maskMissing(image: String, expectedMask: String)
    case sizeMismatch(id: String, image: String, mask: String)
    case emptyMask(id: String)
    case tooFewExamples(found: Int, needed: Int, what: String)
    case unreadable(path: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .folderMissing(path):
            return "no folder '\(path)': a task folder holds images/ and masks/ with the same file names"
        case let .maskMissing(image, expectedMask):
            return "image '\(image)' has no mask: add '\(expectedMask)' or remove the image"
        case let .sizeMismatch(id, image, mask):
            return "'\(id)': the image is \(image) but its mask is \(mask); masks must have their image's size"
        case let .emptyMask(id):
            return "'\(id)': the mask is empty; the protocols need a structure to segment, remove the example"
        case let .tooFewExamples(found, needed, what):
            return "\(what) needs at least \(needed) labeled images, the task has \(found): lower the counts or use a larger task"
        case let .unreadable(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .cannotWrite(path, reason):
            return "cannot write '\(path)': \(reason)"
        }
    }
}

extension LabeledExample {
    /// Every PNG of `imagesFolder` with its namesake in `masksFolder` (foreground by
    /// `BinaryMask.isForeground`), sorted by name. Images of any size and bit depth; colour becomes
    /// luminance. With `skipUnlabeled`, images without a mask (or with an empty one) are left out
    /// instead of being an error; with `keepingEmptyMasks`, an empty mask is an example like any
    /// other (a context image showing no structure).
    ///
    /// ```swift
    /// let task = try LabeledExample.load(images: "PH2/skin_lesion/images", masks: "PH2/skin_lesion/masks")
    /// ```
    public static func load(images imagesFolder: String, masks masksFolder: String,
                            skipUnlabeled: Bool = false, keepingEmptyMasks: Bool = false) throws -> [LabeledExample] {
        let files = FileManager.default
        guard let names = try? files.contentsOfDirectory(atPath: imagesFolder) else {
            throw EvaluationError.folderMissing(path: imagesFolder)
        }
        var examples: [LabeledExample] = []
        for name in names.sorted() where name.lowercased().hasSuffix(".png") {
            let imagePath = (imagesFolder as NSString).appendingPathComponent(name)
            let maskPath = (masksFolder as NSString).appendingPathComponent(name)
            guard files.fileExists(atPath: maskPath) else {
                if skipUnlabeled { continue }
                throw EvaluationError.maskMissing(image: imagePath, expectedMask: maskPath)
            }
            let example = try LabeledExample(
                id: (name as NSString).deletingPathExtension, fileName: name,
                image: GreyImage(contentsOfFile: imagePath), truth: BinaryMask(contentsOfFile: maskPath))
            guard keepingEmptyMasks || !example.truth.isEmpty else {
                if skipUnlabeled { continue }
                throw EvaluationError.emptyMask(id: name)
            }
            examples.append(example)
        }
        return examples
    }

    /// A task folder: `folder/images` and `folder/masks` (the layout of shared/data).
    public static func load(taskFolder folder: String) throws -> [LabeledExample] {
        try load(images: (folder as NSString).appendingPathComponent("images"),
                 masks: (folder as NSString).appendingPathComponent("masks"))
    }

    /// A project's label, read through ProjectStore (so `project.json`'s labels, the symlink rule
    /// and interrupted accepts apply as in the app): every image with a non-empty accepted mask,
    /// in image order; images not labeled yet are left out.
    ///
    /// ```swift
    /// let examples = try LabeledExample.load(project: "Projects/fetal-head-demo", label: "head")
    /// ```
    public static func load(project folder: String, label: String) throws -> [LabeledExample] {
        let url = URL(fileURLWithPath: folder).standardizedFileURL
        let project = try ProjectLibrary(root: url.deletingLastPathComponent().path).project(url.lastPathComponent)
        var examples: [LabeledExample] = []
        for id in project.imageIDs() {
            guard let truth = try project.mask(label: label, image: id), !truth.isEmpty else { continue }
            let image = GreyImage(try project.loadImage(id))
            examples.append(try LabeledExample(id: id, fileName: "\(id).png", image: image, truth: truth))
        }
        if examples.isEmpty { _ = try project.context(label: label) } // an unknown label is an error, not an empty task
        return examples
    }
}

private extension LabeledExample {
    /// An example read from files: their sizes must agree (a user's folder, not a programmer's bug).
    init(id: String, fileName: String, image: GreyImage, truth: BinaryMask) throws {
        guard image.width == truth.width, image.height == truth.height else {
            throw EvaluationError.sizeMismatch(id: fileName, image: "\(image.width)x\(image.height)",
                                               mask: "\(truth.width)x\(truth.height)")
        }
        self.init(id: id, image: image, truth: truth)
        self.fileName = fileName
    }
}
