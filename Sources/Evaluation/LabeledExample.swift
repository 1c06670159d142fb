import Foundation
import Inference
import PNGCodec

/// One image of a task with its ground-truth mask.
public struct LabeledExample: Sendable {
    public let id: String
    public let image: GreyImage
    public let truth: BinaryMask

    public init(id: String, image: GreyImage, truth: BinaryMask) {
        precondition(image.width == truth.width && image.height == truth.height, "image and mask sizes differ")
        self.id = id
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
    /// Every PNG of `imagesFolder` with its namesake in `masksFolder` (grey >= 50% =
    /// foreground), sorted by name. Images of any size and bit depth; colour becomes luminance.
    /// With `skipUnlabeled`, images without a mask (or with an empty one) are left out instead
    /// of being an error.
    ///
    /// ```swift
    /// let task = try LabeledExample.load(images: "PH2/skin_lesion/images", masks: "PH2/skin_lesion/masks")
    /// ```
    public static func load(images imagesFolder: String, masks masksFolder: String,
                            skipUnlabeled: Bool = false) throws -> [LabeledExample] {
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
            let picture = try PNGImage(contentsOfFile: imagePath)
            let maskPicture = try PNGImage(contentsOfFile: maskPath)
            guard picture.width == maskPicture.width, picture.height == maskPicture.height else {
                throw EvaluationError.sizeMismatch(id: name, image: "\(picture.width)x\(picture.height)",
                                                   mask: "\(maskPicture.width)x\(maskPicture.height)")
            }
            let truth = BinaryMask(width: maskPicture.width, height: maskPicture.height, levels: maskPicture.luminance())
            guard !truth.isEmpty else {
                if skipUnlabeled { continue }
                throw EvaluationError.emptyMask(id: name)
            }
            examples.append(LabeledExample(
                id: (name as NSString).deletingPathExtension,
                image: try GreyImage(width: picture.width, height: picture.height, pixels: picture.luminance()),
                truth: truth))
        }
        return examples
    }

    /// A task folder: `folder/images` and `folder/masks` (the layout of shared/data).
    public static func load(taskFolder folder: String) throws -> [LabeledExample] {
        try load(images: (folder as NSString).appendingPathComponent("images"),
                 masks: (folder as NSString).appendingPathComponent("masks"))
    }

    /// A project's label: `project/images/<id>.png` with `project/masks/<label>/<id>.png`; images
    /// not labeled yet are left out.
    public static func load(project folder: String, label: String) throws -> [LabeledExample] {
        let masks = ((folder as NSString).appendingPathComponent("masks") as NSString).appendingPathComponent(label)
        guard FileManager.default.fileExists(atPath: masks) else { throw EvaluationError.folderMissing(path: masks) }
        return try load(images: (folder as NSString).appendingPathComponent("images"), masks: masks, skipUnlabeled: true)
    }
}
