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
        #expect(try cache.contextSet(project: project, label: "l", model: model).count == 0)
        let mask = BinaryMask(width: 20, height: 20, pixels: (0..<400).map { $0 % 20 < 10 })
        for id in ["i0", "i1"] {
            _ = try project.accept(label: "l", image: id, mask: mask, annotator: "", interactions: 0)
        }
        #expect(try cache.contextSet(project: project, label: "l", model: model).ids.sorted() == ["i0", "i1"])
        _ = try project.setIncluded(label: "l", image: "i1", included: false)
        #expect(try cache.contextSet(project: project, label: "l", model: model).ids == ["i0"])
        // An entry whose image broke on disk is left out, not a failure of the label.
        _ = try project.setIncluded(label: "l", image: "i1", included: true)
        _ = try project.accept(label: "l", image: "i2", mask: mask, annotator: "", interactions: 0)
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: project.folder + "/images/i2.png"))
        #expect(try cache.contextSet(project: project, label: "l", model: model).ids.sorted() == ["i0", "i1"])
    }
}
