import Foundation
import Imaging
import PNGCodec
import ProjectStore
import TestSupport
import Testing
import ZIP
@testable import MultiverSegCLI

/// `multiverseg import-masks`: masks matched to images by name, imported as accepted masks or as
/// drafts, all or nothing; and `export --include-proposals`.
@Suite struct MaskImportCommandTests {
    /// A projects folder with a copy of the demo project (12 images, label "head").
    func demo(_ directory: TemporaryDirectory) throws -> (projects: String, project: Project) {
        let projects = directory.file("Projects")
        try FileManager.default.createDirectory(atPath: projects, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: BuiltTool.repositoryRoot + "/Projects/fetal-head-demo",
                                         toPath: projects + "/demo")
        return (projects, try ProjectLibrary(root: projects).project("demo"))
    }

    /// A 0/1 label map (not 0/255) of the image's size, written to `path`.
    func writeLabelMap(for image: String, of project: Project, to path: String, value: UInt16 = 1) throws -> BinaryMask {
        let header = try project.imageHeader(image)
        let pixels = (0..<(header.width * header.height)).map { $0 % 5 == 0 }
        let png = try PNGImage.encode(samples: pixels.map { $0 ? value : 0 }, width: header.width, height: header.height,
                                      colorType: .grey, bitDepth: 8)
        try FileSystem.writeAtomically(png, to: path)
        return BinaryMask(width: header.width, height: header.height, pixels: pixels)
    }

    func run(_ projects: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try BuiltTool.run(["import-masks", "--projects", projects, "--project", "demo", "--label", "head"] + arguments)
    }

    @Test func importsAcceptedMasksFromAFolder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (projects, project) = try demo(directory)
        let folder = directory.file("masks")
        let first = try writeLabelMap(for: "000_HC", of: project, to: folder + "/000_HC_Annotation.png")
        let second = try writeLabelMap(for: "067_HC", of: project, to: folder + "/067_HC.png", value: 255)
        try FileSystem.writeAtomically([1, 2, 3], to: folder + "/notes.txt")
        let (status, output) = try run(projects, ["--annotator", "ana", folder])
        #expect(status == 0, "\(output)")
        #expect(output.contains("imported 2 accepted mask(s)"))
        #expect(try project.mask(label: "head", image: "000_HC") == first)
        #expect(try project.mask(label: "head", image: "067_HC") == second)
        let entries = try project.context(label: "head").entries
        #expect(entries.map(\.id) == ["000_HC", "067_HC"] && entries.allSatisfy { $0.annotator == "ana" && $0.interactions == 0 })
    }

    @Test func importsDraftsIntoTheReviewQueue() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (projects, project) = try demo(directory)
        let mask = try writeLabelMap(for: "133_2HC", of: project, to: directory.file("133_2HC_seg.png"))
        let (status, output) = try run(projects, ["--as", "draft", directory.file("133_2HC_seg.png")])
        #expect(status == 0, "\(output)")
        #expect(!project.isAccepted(label: "head", image: "133_2HC"))
        let queue = try project.proposalQueue(label: "head")
        #expect(queue.items.map(\.image) == ["133_2HC"] && queue.items[0].record.isDraft && !queue.items[0].stale)
        #expect(queue.items[0].record.importedFrom == "133_2HC_seg.png")
        #expect(try BinaryMask(png: #require(try project.proposalPNG(label: "head", image: "133_2HC"))) == mask)
        // A draft for an accepted image is refused.
        try project.acceptProposal(label: "head", image: "133_2HC", annotator: "ana")
        let again = try run(projects, ["--as", "draft", directory.file("133_2HC_seg.png")])
        #expect(again.status != 0 && again.output.contains("has an accepted mask already"), "\(again.output)")
    }

    @Test func unmatchedOrWrongFilesAreListedAndNothingIsImported() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (projects, project) = try demo(directory)
        let folder = directory.file("masks")
        _ = try writeLabelMap(for: "000_HC", of: project, to: folder + "/000_HC.png")
        _ = try writeLabelMap(for: "000_HC", of: project, to: folder + "/elsewhere.png")
        try FileSystem.writeAtomically(try PNGImage.encode(samples: [0, 1, 1, 0], width: 2, height: 2, colorType: .grey, bitDepth: 8),
                                       to: folder + "/067_HC.png")
        try FileSystem.writeAtomically(Array("not a png".utf8), to: folder + "/200_HC.png")
        let (status, output) = try run(projects, [folder])
        #expect(status != 0)
        #expect(output.contains("nothing was imported: 3 file(s)"), "\(output)")
        #expect(output.contains("elsewhere.png: no image of this name"))
        #expect(output.contains("067_HC.png: the mask is"))
        #expect(output.contains("200_HC.png: not a readable PNG"))
        #expect(try project.acceptedMasks(label: "head").isEmpty && project.proposalIDs(label: "head").isEmpty)
        #expect(try run(projects, ["--as", "maybe", folder]).output.contains("--as must be accepted or draft"))
    }

    @Test func exportIncludesProposalsOnlyWhenAsked() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (projects, project) = try demo(directory)
        _ = try writeLabelMap(for: "000_HC", of: project, to: directory.file("000_HC.png"))
        _ = try writeLabelMap(for: "067_HC", of: project, to: directory.file("067_HC.png"))
        #expect(try run(projects, [directory.file("000_HC.png")]).status == 0)
        #expect(try run(projects, ["--as", "draft", directory.file("067_HC.png")]).status == 0)
        let export = ["export", "--projects", projects, "--project", "demo", "--label", "head"]
        #expect(try BuiltTool.run(export + ["--zip", "-o", directory.file("plain.zip")]).status == 0)
        #expect(try ZipArchive(FileSystem.read(directory.file("plain.zip"))).entries.map(\.name) == ["000_HC.png"])
        let all = try BuiltTool.run(export + ["--zip", "--include-proposals", "-o", directory.file("all.zip")])
        #expect(all.status == 0, "\(all.output)")
        let zip = try ZipArchive(FileSystem.read(directory.file("all.zip")))
        #expect(zip.entries.map(\.name) == ["000_HC.png", "proposals/067_HC.png", "manifest.json"])
        let manifest = try JSONSerialization.jsonObject(with: Data(#require(try zip.contents(of: "manifest.json")))) as? [String: Any]
        let row = (manifest?["proposals"] as? [[String: Any]])?.first
        #expect(row?["draft"] as? Bool == true && row?["reviewed"] as? Bool == false)
        #expect(try BuiltTool.run(export + ["--include-proposals", "-o", directory.file("folder")]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("folder")).sorted()
                == ["000_HC.png", "067_HC.proposal.png"])
    }
}
