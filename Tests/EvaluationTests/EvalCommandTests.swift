import Foundation
import Imaging
import PNGCodec
import ProjectStore
import Testing
@testable import Evaluation
import TestSupport

/// Writes a tiny task folder (images/ + masks/) of `count` 32x24 PNGs with one bright square each.
func writeTinyTask(to folder: String, count: Int, maskless: [Int] = []) throws {
    let files = FileManager.default
    for sub in ["images", "masks"] {
        try files.createDirectory(atPath: (folder as NSString).appendingPathComponent(sub), withIntermediateDirectories: true)
    }
    for i in 0..<count {
        let truth = rectangle(width: 32, height: 24, x0: 4 + i % 6, y0: 3 + i % 5, x1: 16 + i % 6, y1: 14 + i % 5)
        let image = truth.pixels.enumerated().map { UInt16($1 ? 180 + $0 % 20 : 30 + $0 % 15) }
        let name = String(format: "case%02d.png", i)
        try Data(try PNGImage.encode(samples: image, width: 32, height: 24, colorType: .grey, bitDepth: 8))
            .write(to: URL(fileURLWithPath: "\(folder)/images/\(name)"))
        if !maskless.contains(i) {
            try Data(try PNGImage.maskPNG(truth.pixels, width: 32, height: 24))
                .write(to: URL(fileURLWithPath: "\(folder)/masks/\(name)"))
        }
    }
}

func temporaryFolder() throws -> String {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("eval-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite struct TaskLoadingTests {
    @Test func loadsPairsByNameAndNamesAMissingMask() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writeTinyTask(to: folder, count: 4)
        let task = try LabeledExample.load(taskFolder: folder)
        #expect(task.map(\.id) == ["case00", "case01", "case02", "case03"])
        #expect(task[1].truth == rectangle(width: 32, height: 24, x0: 5, y0: 4, x1: 17, y1: 15))
        #expect(task[0].image.width == 32 && task[0].image.height == 24)

        try FileManager.default.removeItem(atPath: "\(folder)/masks/case02.png")
        #expect(throws: EvaluationError.maskMissing(image: "\(folder)/images/case02.png",
                                                    expectedMask: "\(folder)/masks/case02.png")) {
            try LabeledExample.load(taskFolder: folder)
        }
        #expect(throws: EvaluationError.folderMissing(path: "\(folder)/nothing/images")) {
            try LabeledExample.load(taskFolder: "\(folder)/nothing")
        }
    }

    @Test func aProjectLabelIsReadThroughTheStore() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let task = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: task) }
        try writeTinyTask(to: task, count: 4)
        let project = try ProjectLibrary(root: root).createProject(name: "Bones", labels: ["bone", "joint"])
        let truths = try LabeledExample.load(taskFolder: task)
        for (index, example) in truths.enumerated() {
            let png = try PNGImage(contentsOfFile: "\(task)/images/\(example.fileName)").pngData()
            try project.importImage(name: example.fileName, png: png)
            // case01 stays unlabeled; case03's mask is empty.
            if index == 1 { continue }
            let mask = index == 3 ? BinaryMask(width: 32, height: 24) : example.truth
            try project.accept(label: "bone", image: example.id, mask: mask, annotator: "t", interactions: 1)
        }
        // A mask under a folder that project.json does not list is not a label.
        try FileManager.default.createDirectory(atPath: "\(project.folder)/masks/stray", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(project.folder)/masks/bone/case00.png",
                                         toPath: "\(project.folder)/masks/stray/case00.png")

        let bone = try LabeledExample.load(project: project.folder, label: "bone")
        #expect(bone.map(\.id) == ["case00", "case02"])
        #expect(bone[1].truth == truths[2].truth && bone[1].image == truths[2].image)
        #expect(try LabeledExample.load(project: project.folder, label: "joint").isEmpty)
        #expect(throws: ProjectStoreError.unknownLabel("stray")) {
            try LabeledExample.load(project: project.folder, label: "stray")
        }

        // An accept cut short after its commit: the staged mask is the one that counts.
        let entry = try #require(try project.context(label: "bone").entry("case00"))
        let staged = "\(project.folder)/.pending/bone/case00@\(entry.version + 1).png"
        try FileManager.default.createDirectory(atPath: "\(project.folder)/.pending/bone", withIntermediateDirectories: true)
        try Data(try truths[3].truth.pngData()).write(to: URL(fileURLWithPath: staged))
        let manifestPath = "\(project.folder)/context/bone.json"
        var manifest = try String(contentsOfFile: manifestPath, encoding: .utf8)
        // case00 was accepted first, so its entry's version is the first in the file.
        let version = try #require(manifest.range(of: "\"version\" : \(entry.version)"))
        manifest.replaceSubrange(version, with: "\"version\" : \(entry.version + 1)")
        try manifest.write(toFile: manifestPath, atomically: true, encoding: .utf8)
        let settled = try LabeledExample.load(project: project.folder, label: "bone")
        #expect(settled.first?.truth == truths[3].truth)
        #expect(!FileManager.default.fileExists(atPath: staged))
    }
}

/// Runs the built `multiverseg eval` on a generated task with a tiny random network.
@Suite struct EvalCommandTests {
    static var binary: String { BuiltTool.binary }

    @Test func theRandomNetworkOptionsAreBenchs() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writeTinyTask(to: "\(folder)/task", count: 3)
        // The same group of options as bench (RandomNetworkOptions): its spelling and its checks.
        let (status, text) = try BuiltTool.run(
            ["eval", "--data", "\(folder)/task", "--random", "--features", "4", "--levels", "2", "--arch", "resnet",
             "--quiet", "-o", "\(folder)/out"])
        #expect(status != 0 && text.contains("--arch must be multiverseg or scribbleprompt-unet"), "\(text)")
    }

    @Test func writesTheReportAndPlotsForBothExperiments() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build the multiverseg product first")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writeTinyTask(to: "\(folder)/task", count: 7)
        let (status, text) = try BuiltTool.run(
            ["eval", "--data", "\(folder)/task", "--random-features", "4", "--random-levels", "2",
             "--seeds", "2", "--images", "3", "--max-clicks", "2", "--max-scribble-steps", "1",
             "--context-sizes", "1,2,4,8", "--targets", "2", "--steps", "1", "--workers", "2",
             "--quiet", "-o", "\(folder)/out"])
        #expect(status == 0, "\(text)")
        #expect(text.contains("experiment 1: 2 simulations x 3 images"))

        let report = try decodeReport(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/out/report.json")))
        let e1 = try #require(report.experiment1)
        #expect(e1.runs.count == 4)   // 2 seeds x 2 protocols
        #expect(e1.summary.methods.count == 8)
        #expect(e1.runs.allSatisfy { $0.sequences.allSatisfy { $0.images.count == 3 } })
        let e2 = try #require(report.experiment2)
        #expect(Set(e2.curve.map(\.contextSize)) == [1, 2, 4])   // 8 does not fit 7 images
        #expect(report.task.images == 7 && report.task.sizes == ["32x24"])

        let markdown = try String(contentsOfFile: "\(folder)/out/report.md", encoding: .utf8)
        #expect(markdown.contains("## Experiment 1") && markdown.contains("## Experiment 2"))
        for plot in ["interactions-clicks", "interactions-scribbles", "dice-by-context-clicks", "dice-by-context-scribbles"] {
            let png = try PNGImage(contentsOfFile: "\(folder)/out/\(plot).png")
            #expect(png.channels == 3 && png.width == 900)
        }
    }

    @Test func rejectsAnUnknownMethod() throws {
        let (status, text) = try BuiltTool.run(["eval", "--data", "/nonexistent", "--methods", "sam"])
        #expect(status != 0)
        #expect(text.contains("--methods takes a comma-separated list of: multiverseg, interactive, in-context, two-stage"),
                "\(text)")
    }
}
