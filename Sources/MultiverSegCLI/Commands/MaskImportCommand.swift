import ArgumentParser
import Foundation
import Imaging
import PNGCodec
import ProjectStore

/// `multiverseg import-masks`: masks made elsewhere into a label, as accepted masks (they join the
/// context set) or as drafts (proposals to review and refine in the app).
struct MaskImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-masks",
        abstract: "Import mask PNGs into a label, as accepted masks or as drafts to review in the app.",
        discussion: """
            Each file is matched to an image by name: its name without extension, or without a suffix such as \
            _mask, _seg, _label, _gt or _Annotation (000_HC_Annotation.png is the mask of 000_HC), exactly or \
            ignoring case and punctuation. Any non-zero pixel is foreground, so 0/255 masks and 0/1 label maps \
            both work; a mask must have its image's size. Every file is checked first: when one matches no image, \
            two match the same image, or one is unreadable or of another size, they are listed and nothing is \
            imported.
            --as draft stores each mask as a draft: it waits in the label's review queue in the app (accept it as \
            it is, refine it with the AI tools starting from it, or reject it) and joins the context set only \
            when accepted.
            """)

    @Option(help: "The project id.")
    var project: String

    @Option(help: "The label to import into.")
    var label: String

    @Option(name: .customLong("as"), help: "accepted (the masks join the context set) or draft (to review in the app).")
    var mode: String = "accepted"

    @Option(help: "Who the accepted masks are recorded as accepted by.")
    var annotator: String = "import"

    @Option(help: "The folder of project folders (default: as for serve).")
    var projects: String?

    @Argument(help: "Mask PNG files, or folders of them (their .png files are taken).")
    var paths: [String]

    func run() throws {
        guard mode == "accepted" || mode == "draft" else {
            throw ValidationError("--as must be accepted or draft, not '\(mode)'")
        }
        let target = try ProjectLibrary(root: projects ?? Installation.current.defaultProjectsFolder()).project(project)
        guard try target.labels().contains(label) else { throw ProjectStoreError.unknownLabel(label) }
        let files = try Self.maskFiles(paths)
        guard !files.isEmpty else { throw ValidationError("no .png files in \(paths.joined(separator: ", "))") }
        let plan = try Self.match(files, project: target, label: label, drafts: mode == "draft")
        guard plan.problems.isEmpty else { throw CommandError.masksNotImported(plan.problems) }
        for (image, file, mask) in plan.masks {
            if mode == "draft" {
                let name = (file as NSString).lastPathComponent
                try target.saveProposal(label: label, image: image, mask: mask, record: .draft(fileName: name))
            } else {
                try target.accept(label: label, image: image, mask: mask, annotator: annotator, interactions: 0)
            }
        }
        let noun = mode == "draft" ? "draft(s) into the review queue" : "accepted mask(s)"
        print("imported \(plan.masks.count) \(noun) of '\(label)' in '\(project)'")
    }

    /// The PNG files named: files as given, folders' `.png` files (not hidden ones) sorted by name.
    static func maskFiles(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw ValidationError("\(path) does not exist")
            }
            if isFolder.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path)
                files += names.filter { $0.lowercased().hasSuffix(".png") && !$0.hasPrefix(".") }.sorted()
                    .map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// Each file's image and mask, or what is wrong with it; reads and checks every file before
    /// anything is written.
    static func match(_ files: [String], project: Project, label: String, drafts: Bool)
        throws -> (masks: [(image: String, file: String, mask: BinaryMask)], problems: [String])
    {
        let matcher = MaskFileMatcher(imageIDs: project.imageIDs())
        var masks: [(image: String, file: String, mask: BinaryMask)] = []
        var problems: [String] = []
        var claimed: [String: String] = [:]
        for file in files {
            let name = (file as NSString).lastPathComponent
            guard let image = matcher.image(for: name) else {
                problems.append("\(file): \(MaskFileMatcher.noMatch)")
                continue
            }
            if let other = claimed[image] {
                problems.append("\(file): \(other) is for '\(image)' too; give one mask per image")
                continue
            }
            claimed[image] = file
            if drafts, project.isAccepted(label: label, image: image) {
                problems.append("\(file): '\(image)' has an accepted mask already; a draft is for an image nobody accepted")
                continue
            }
            do {
                let header = try project.imageHeader(image)
                let picture = try PNGImage(contentsOfFile: file)
                guard picture.width == header.width, picture.height == header.height else {
                    problems.append("\(file): the mask is \(picture.width) x \(picture.height) but '\(image)' is \(header.width) x \(header.height)")
                    continue
                }
                // Any non-zero pixel is foreground, so 0/1 label maps are not read as empty.
                let mask = BinaryMask(width: picture.width, height: picture.height,
                                      pixels: picture.luminance().map { $0 > 0 })
                masks.append((image, file, mask))
            } catch let error as PNGError {
                problems.append("\(file): not a readable PNG (\(error.description))")
            }
        }
        return (masks, problems)
    }
}
