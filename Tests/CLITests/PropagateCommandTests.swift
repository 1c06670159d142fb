import Foundation
import Imaging
import ProjectStore
import TestSupport
import Testing

/// `multiverseg propagate` run as a user would, on a copy of the demo project with two accepted
/// images and the small MultiverSeg fixture network (4 features, 2 levels).
@Suite struct PropagateCommandTests {
    static let weights = ServeCommandTests.repositoryRoot + "/Tests/InferenceTests/Fixtures/pt/multiverseg_nf4_l2.safetensors"

    /// Runs the binary without the Slurm variables of the machine running the tests (plus `environment`).
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        try BuiltTool.run(arguments, environment: ProcessInfo.processInfo.environment
            .filter { !$0.key.hasPrefix("SLURM_") }.merging(environment) { _, new in new })
    }

    /// Projects/<name>: the demo images, 000_HC and 067_HC accepted (an ellipse each).
    func demo(_ directory: TemporaryDirectory, _ name: String) throws -> Project {
        let projects = directory.file("Projects")
        try FileManager.default.createDirectory(atPath: projects, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ServeCommandTests.repositoryRoot + "/Projects/fetal-head-demo",
                                         toPath: projects + "/" + name)
        let project = try ProjectLibrary(root: projects).project(name)
        for image in ["000_HC", "067_HC"] {
            let header = try project.imageHeader(image)
            let (w, h) = (header.width, header.height)
            let mask = BinaryMask(width: w, height: h, pixels: (0..<(w * h)).map { p in
                let x = Double(p % w - w / 2) / Double(w / 3), y = Double(p / w - h / 2) / Double(h / 4)
                return x * x + y * y < 1
            })
            try project.accept(label: "head", image: image, mask: mask, annotator: "ana", interactions: 2)
        }
        return project
    }

    func arguments(_ directory: TemporaryDirectory, _ name: String, _ extra: [String] = []) -> [String] {
        ["propagate", "--projects", directory.file("Projects"), "--project", name, "--label", "head",
         "--weights", Self.weights, "--threads", "2"] + extra
    }

    /// proposals/head: name -> bytes, with createdAt taken out of the records.
    func proposals(_ project: Project) throws -> [String: String] {
        let folder = project.folder + "/proposals/head"
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            let bytes = try FileSystem.read(folder + "/" + name)
            files[name] = name.hasSuffix(".json")
                ? String(decoding: bytes, as: UTF8.self).split(separator: "\n").filter { !$0.contains("createdAt") }.joined()
                : bytes.map { String($0) }.joined(separator: ",")
        }
        return files
    }

    @Test func proposesTheRemainingImagesResumesAndShardsToTheSameFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let whole = try demo(directory, "whole")
        let masks = try whole.acceptedMasks(label: "head").map(\.png)
        let first = try run(arguments(directory, "whole"))
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("10 image(s) without an accepted mask, 0 proposal(s) up to date, 10 to make"))
        #expect(first.output.contains("proposed 10 mask(s)"))
        #expect(first.output.contains("images/s"))
        #expect(try whole.proposalIDs(label: "head").count == 10)
        #expect(try whole.acceptedMasks(label: "head").map(\.png) == masks)
        #expect(try whole.proposal(label: "head", image: "000_HC") == nil)
        let model = try #require(try whole.proposal(label: "head", image: "735_HC")?.model)
        #expect(model.hasPrefix("multiverseg_nf4_l2.safetensors sha256:") && model.count == 38 + 64)
        // Resumable: a second run has nothing to do.
        let second = try run(arguments(directory, "whole"))
        #expect(second.status == 0 && second.output.contains("10 proposal(s) up to date, 0 to make"), "\(second.output)")

        // Two shards, one by --shard and one from Slurm's variables, make the same files.
        let sharded = try demo(directory, "sharded")
        let zero = try run(arguments(directory, "sharded", ["--shard", "0/2"]))
        let one = try run(arguments(directory, "sharded"),
                          environment: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "1"])
        #expect(zero.status == 0 && zero.output.contains("(shard 0/2)"), "\(zero.output)")
        #expect(one.status == 0 && one.output.contains("(shard 1/2)"), "\(one.output)")
        #expect(try proposals(sharded) == proposals(whole))

        // A subset and a limit.
        let subset = try demo(directory, "subset")
        let some = try run(arguments(directory, "subset", ["--images", "000_HC,200_HC,263_HC,335_HC", "--limit", "2"]))
        #expect(some.status == 0, "\(some.output)")
        #expect(try subset.proposalIDs(label: "head") == ["200_HC", "263_HC"])
    }

    @Test func aKilledRunLeavesWholeProposalsAndTheNextOneFinishes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let reference = try demo(directory, "reference")
        #expect(try run(arguments(directory, "reference")).status == 0)
        for attempt in 0..<4 {
            let name = "killed\(attempt)"
            let project = try demo(directory, name)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ServeCommandTests.binary)
            process.arguments = arguments(directory, name, ["--threads", "1"])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Start-up takes about half a second in a debug build; the 9 proposals about one more.
            usleep(UInt32(500_000 + attempt * 300_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Whatever is there is whole: each proposal's PNG decodes to the image's size.
            for id in try project.proposalIDs(label: "head") {
                let png = try #require(try project.proposalPNG(label: "head", image: id))
                #expect(try BinaryMask(png: png).width == 256)
            }
            let rerun = try run(arguments(directory, name))
            #expect(rerun.status == 0, "\(rerun.output)")
            let files = try proposals(project).filter { !$0.key.hasPrefix(".") }
            #expect(files == (try proposals(reference)))
        }
    }

    @Test func writesABatchScriptWithAbsolutePaths() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try demo(directory, "demo")
        let script = directory.file("propagate.sbatch")
        let result = try run(arguments(directory, "demo", ["--sbatch", script, "--array-size", "3", "--partition", "cpu"]))
        #expect(result.status == 0, "\(result.output)")
        let text = String(decoding: try FileSystem.read(script), as: UTF8.self)
        for line in ["#SBATCH --array=0-2", "#SBATCH --cpus-per-task=2", "#SBATCH --partition=cpu"] {
            #expect(text.contains(line + "\n"), "missing \(line)")
        }
        let memory = try #require(text.split(separator: "\n").first { $0.hasPrefix("#SBATCH --mem=") })
        #expect((Int(memory.dropFirst(14).dropLast()) ?? 0) >= 256)
        let command = try #require(text.split(separator: "\n").last)
        #expect(command.hasPrefix("/") && command.contains(" propagate --projects /"))
        #expect(command.contains("--weights /") && command.contains("--project demo --label head --threads 2"))
        #expect(!FileSystem.exists(directory.file("Projects/demo/proposals")))
    }

    @Test func badArgumentsAndImpossibleWorkSayWhatToDo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try demo(directory, "demo")
        let shard = try run(arguments(directory, "demo", ["--shard", "2/2"]))
        #expect(shard.status != 0 && shard.output.contains("is not a shard"), "\(shard.output)")
        let slurm = try run(arguments(directory, "demo"), environment: ["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"])
        #expect(slurm.status != 0 && slurm.output.contains("SLURM_ARRAY_TASK_ID"), "\(slurm.output)")
        let images = try run(arguments(directory, "demo", ["--images", "nope,../../etc"]))
        #expect(images.status != 0 && images.output.contains("no image 'nope'"), "\(images.output)")
        let label = try run(["propagate", "--projects", directory.file("Projects"), "--project", "demo",
                             "--label", "../x", "--weights", Self.weights])
        #expect(label.status != 0 && label.output.contains("invalid label"), "\(label.output)")
        // A label with nothing accepted: nothing to propagate from.
        try ProjectLibrary(root: directory.file("Projects")).project("demo").addLabel("brain")
        let empty = try run(["propagate", "--projects", directory.file("Projects"), "--project", "demo",
                             "--label", "brain", "--weights", Self.weights])
        #expect(empty.status != 0 && empty.output.contains("accept a few images"), "\(empty.output)")
        #expect(!FileSystem.exists(directory.file("Projects/demo/proposals")))
    }
}
