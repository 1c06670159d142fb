import Foundation
import Imaging
import Inference
import PNGCodec
import ProjectStore
import Synchronization
import Propagation
import TestSupport
import Testing

/// `Propagator` on a small project with a random-init network: proposals for the remaining images
/// only, resumable, redone when the context changes, the same whatever the worker count or shard.
@Suite struct PropagatorTests {
    static let spec: ModelSpec = try! ModelSpec.random(.multiverseg(features: 4, levels: 2, resolution: 32))
    static let images = ["a", "b", "c", "d", "e", "f", "g"]

    /// A project with seven 40 x 30 images and the label "cell", `accepted` of them accepted.
    func makeProject(_ directory: TemporaryDirectory, name: String = "Cells", accepted: [String] = ["a", "b"]) throws -> Project {
        let library = try ProjectLibrary(root: directory.path)
        let project = try library.createProject(name: name, labels: ["cell"])
        for (index, id) in Self.images.enumerated() {
            let pixels = (0..<1200).map { p -> UInt16 in
                let (x, y) = (p % 40 - 20 - index, p / 40 - 15)
                return x * x + y * y < 60 + 10 * index ? 200 : UInt16((p * 7 + index * 13) % 60)
            }
            let png = try PNGImage(width: 40, height: 30, channels: 1, bitDepth: 8, samples: pixels).pngData()
            try project.importImage(name: id + ".png", png: png)
        }
        for id in accepted {
            let mask = BinaryMask(width: 40, height: 30, pixels: (0..<1200).map { p in
                let (x, y) = (p % 40 - 20, p / 40 - 15)
                return x * x + y * y < 70
            })
            try project.accept(label: "cell", image: id, mask: mask, annotator: "ana", interactions: 3)
        }
        return project
    }

    func propagator(_ project: Project, model: String = "random") throws -> Propagator {
        try Propagator(project: project, label: "cell", spec: Self.spec, model: model)
    }

    /// Every file under proposals/cell, name -> bytes, the records without createdAt.
    func proposalFiles(_ project: Project) throws -> [String: [UInt8]] {
        let folder = project.folder + "/proposals/cell"
        var files: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            var bytes = try FileSystem.read(folder + "/" + name)
            if name.hasSuffix(".json") {
                var object = try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
                object["createdAt"] = nil
                bytes = [UInt8](try JSONSerialization.data(withJSONObject: object, options: .sortedKeys))
            }
            files[name] = bytes
        }
        return files
    }

    @Test func proposesForEveryRemainingImageOnlyAndThenSkipsThem() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try makeProject(directory)
        let masksBefore = try project.acceptedMasks(label: "cell").map(\.png)
        let contextBefore = try project.context(label: "cell")
        let propagator = try propagator(project)
        let plan = try propagator.plan()
        #expect(plan.remaining == ["c", "d", "e", "f", "g"] && plan.todo == plan.remaining && plan.upToDate == 0)
        let done = Mutex<[Int]>([])
        let summary = try propagator.run(plan, workers: 2) { count, total in
            #expect(total == 5)
            done.withLock { $0.append(count) }
        }
        #expect(summary.proposed == 5 && summary.acceptedMeanwhile == 0)
        #expect(done.withLock { $0.sorted() } == [1, 2, 3, 4, 5])
        #expect(try project.proposalIDs(label: "cell") == ["c", "d", "e", "f", "g"])
        let fingerprint = project.contextRevision(label: "cell").fingerprint
        for id in plan.todo {
            let record = try #require(try project.proposal(label: "cell", image: id))
            #expect(record.contextRevision == fingerprint && record.model == "random" && record.contextSize == 2)
            #expect((0...1).contains(record.uncertainty))
            let mask = try BinaryMask(png: #require(try project.proposalPNG(label: "cell", image: id)))
            #expect(mask.width == 40 && mask.height == 30)
        }
        // Accepted masks and the context are as they were.
        #expect(try project.acceptedMasks(label: "cell").map(\.png) == masksBefore)
        #expect(try project.context(label: "cell") == contextBefore)
        // Resumable: nothing left to do from this context and model.
        let again = try propagator.plan()
        #expect(again.todo.isEmpty && again.upToDate == 5)
        // Another model, or a changed context, makes them due again.
        #expect(try self.propagator(project, model: "other").plan().todo.count == 5)
        try project.setIncluded(label: "cell", image: "b", included: false)
        let changed = try propagator.plan(limit: 2)
        #expect(changed.todo == ["c", "d"] && changed.upToDate == 0)
        try propagator.run(changed)
        #expect(try propagator.plan().todo == ["e", "f", "g"])
        #expect(try project.proposal(label: "cell", image: "c")?.contextSize == 1)
    }

    @Test func rejectedProposalsAndDraftsAreNotProposedAgainFromTheSameContext() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try makeProject(directory)
        let propagator = try propagator(project)
        try propagator.run(try propagator.plan(images: ["c", "d"]))
        try project.rejectProposal(label: "cell", image: "c", annotator: "ana")
        let draft = BinaryMask(width: 40, height: 30, pixels: (0..<1200).map { $0 % 7 == 0 })
        try project.saveProposal(label: "cell", image: "e", mask: draft, record: .draft(fileName: "e_mask.png"))
        let plan = try propagator.plan()
        #expect(plan.todo == ["f", "g"] && plan.upToDate == 1 && plan.reviewed == 2)
        try propagator.run(plan)
        #expect(try BinaryMask(png: #require(try project.proposalPNG(label: "cell", image: "e"))) == draft)
        #expect(try project.proposal(label: "cell", image: "c") == nil)
        // Once the context changes, the rejected image is due again; the draft still waits for review.
        try project.setIncluded(label: "cell", image: "b", included: false)
        #expect(try propagator.plan().todo == ["c", "d", "f", "g"])
    }

    @Test func proposalsDoNotDependOnWorkersOrShards() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let one = try makeProject(directory, name: "one")
        try propagator(one).run(try propagator(one).plan(), workers: 1)
        let three = try makeProject(directory, name: "three")
        try propagator(three).run(try propagator(three).plan(), workers: 3)
        let sharded = try makeProject(directory, name: "sharded")
        var covered: [String] = []
        for index in 0..<3 {
            let plan = try propagator(sharded).plan(shard: try Shard(index: index, count: 3))
            covered += plan.todo
            try propagator(sharded).run(plan, workers: 2)
        }
        #expect(covered.sorted() == ["c", "d", "e", "f", "g"])
        let reference = try proposalFiles(one)
        #expect(reference.count == 10)
        #expect(try proposalFiles(three) == reference)
        #expect(try proposalFiles(sharded) == reference)
    }

    @Test func subsetsAndWhatCannotBeDone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try makeProject(directory)
        let propagator = try propagator(project)
        // Accepted images in --images are left out; unknown ones are an error.
        #expect(try propagator.plan(images: ["a", "e", "c"]).todo == ["c", "e"])
        #expect(throws: PropagationError.unknownImages(["zz", "../x"])) {
            try propagator.plan(images: ["c", "zz", "../x"])
        }
        #expect(try propagator.plan(limit: 0).todo.isEmpty)
        let empty = try makeProject(directory, name: "empty", accepted: [])
        #expect(throws: PropagationError.emptyContext(label: "cell")) { try self.propagator(empty).plan() }
        #expect(throws: ProjectStoreError.unknownLabel("bone")) {
            try Propagator(project: project, label: "bone", spec: Self.spec, model: "random")
        }
    }

    @Test func anImageAcceptedMeanwhileGetsNoProposal() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try makeProject(directory)
        let propagator = try propagator(project)
        let plan = try propagator.plan()
        try project.accept(label: "cell", image: "d", mask: BinaryMask(width: 40, height: 30, pixels: .init(repeating: true, count: 1200)),
                           annotator: "bo", interactions: 1)
        let summary = try propagator.run(plan)
        #expect(summary.proposed == 4 && summary.acceptedMeanwhile == 1)
        #expect(try project.proposal(label: "cell", image: "d") == nil)
        // Made from the context as it was when the run started, which includes d now.
        #expect(try project.proposal(label: "cell", image: "c")?.contextRevision
            == project.contextRevision(label: "cell").fingerprint)
        #expect(try project.proposal(label: "cell", image: "c")?.contextSize == 3)
    }

    @Test func theContextIsMadeByThePredictorInManifestOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try makeProject(directory, accepted: ["c", "a", "b"])
        let predictor = try Self.spec.makePredictor(threads: 1, options: PredictorOptions(antialiasAbove: 5))
        let (set, revision) = try propagator(project).currentContext(for: predictor)
        // The predictor's own empty set (its resolution and filters), filled in manifest order.
        #expect(set.resolution == predictor.makeContextSet().resolution)
        #expect(set.antialiasAbove == 5)
        #expect(set.ids == ["c", "a", "b"])
        #expect(revision == project.contextRevision(label: "cell"))
    }

    @Test func sha256MatchesTheStandardVectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}
