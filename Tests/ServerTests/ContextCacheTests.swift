import Foundation
import Imaging
import Inference
import ProjectStore
@testable import Server
import TestSupport
import Testing

@Suite struct ContextCacheTests {
    @Test func decodedImagesAreBoundedInBytesAndContextImagesAreNotKept() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let library = try ProjectLibrary(root: directory.path)
        let project = try library.createProject(name: "P", labels: ["l"])
        for n in 0..<10 {
            try project.importImage(name: "i\(n).png", png: try EdgeApp.grey(100, 100) { x, y in UInt16((x + y + n) % 256) })
        }
        let cache = ContextCache(maxCachedImages: 48, maxCachedImageBytes: 100_000)
        for n in 0..<10 { _ = try cache.networkImage(project: project, image: "i\(n)", window: nil) }
        #expect(cache.cachedImages.count == 2 && cache.cachedImages.bytes == 80_000, "\(cache.cachedImages)")
        let other = ContextCache()
        for n in 0..<10 { _ = try other.networkImage(project: project, image: "i\(n)", window: nil, keep: false) }
        #expect(other.cachedImages.count == 0)
    }

    @Test func contextSetsFollowTheLabelsRevision() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let library = try ProjectLibrary(root: directory.path)
        let project = try library.createProject(name: "P", labels: ["l"])
        for n in 0..<3 {
            try project.importImage(name: "i\(n).png", png: try EdgeApp.grey(20, 20) { x, _ in UInt16(x * 10 + n) })
        }
        let model = ModelRunner(name: "fake", predictor: try Predictor(network: SlowThresholdNetwork(delay: 0)))
        let cache = ContextCache()
        func set() throws -> ContextSet {
            try cache.contextSet(project: project, label: "l", revision: project.contextRevision(label: "l"), model: model)
        }
        #expect(try set().count == 0)
        let mask = BinaryMask(width: 20, height: 20, pixels: (0..<400).map { $0 % 20 < 10 })
        for id in ["i0", "i1"] {
            _ = try project.accept(label: "l", image: id, mask: mask, annotator: "", interactions: 0)
        }
        #expect(try set().ids.sorted() == ["i0", "i1"])
        _ = try project.setIncluded(label: "l", image: "i1", included: false)
        #expect(try set().ids == ["i0"])
        // An entry whose image broke on disk is left out, not a failure of the label.
        _ = try project.setIncluded(label: "l", image: "i1", included: true)
        _ = try project.accept(label: "l", image: "i2", mask: mask, annotator: "", interactions: 0)
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: project.folder + "/images/i2.png"))
        #expect(try set().ids.sorted() == ["i0", "i1"])
    }

    @Test func aContextSetIsBuiltForTheRevisionItIsGivenNotReadAgain() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let library = try ProjectLibrary(root: directory.path)
        let project = try library.createProject(name: "P", labels: ["l"])
        for n in 0..<2 {
            try project.importImage(name: "i\(n).png", png: try EdgeApp.grey(20, 20) { x, _ in UInt16(x * 10 + n) })
        }
        let model = ModelRunner(name: "fake", predictor: try Predictor(network: SlowThresholdNetwork(delay: 0)))
        let cache = ContextCache()
        let mask = BinaryMask(width: 20, height: 20, pixels: (0..<400).map { $0 % 20 < 10 })
        _ = try project.accept(label: "l", image: "i0", mask: mask, annotator: "", interactions: 0)
        let read = project.contextRevision(label: "l")
        // A collaborator accepts between the prediction's one read and the build: the set is the
        // read revision's, so it agrees with the key the prediction is cached under.
        _ = try project.accept(label: "l", image: "i1", mask: mask, annotator: "", interactions: 0)
        #expect(try cache.contextSet(project: project, label: "l", revision: read, model: model).ids == ["i0"])
        let now = project.contextRevision(label: "l")
        #expect(try cache.contextSet(project: project, label: "l", revision: now, model: model).ids == ["i0", "i1"])
    }
}
