import Foundation
import Imaging
import Inference
import ProjectStore
@testable import Server
import TestSupport
import Testing
import Volumes

/// The label window in the app's caches: a new window prepares the context again and is another
/// cache key; an 8-bit project predicts exactly as before whatever window its label has.
@Suite struct LabelWindowCacheTests {
    private func volumeProject(_ directory: TemporaryDirectory) throws -> (Project, VolumeSidecar) {
        let project = try ProjectLibrary(root: directory.path).createProject(name: "CT", labels: ["organ"])
        let file = directory.file("ct.nii")
        try Data(SyntheticNIfTI.int16(dims: [20, 20, 3]) { i, j, k in Int16(-1000 + 60 * i + 10 * j + 5 * k) })
            .write(to: URL(fileURLWithPath: file))
        return (project, try VolumeImport.importNIfTI(file, into: project))
    }

    @Test func changingTheWindowPreparesTheContextAgainAndNeverServesAStaleOne() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (project, sidecar) = try volumeProject(directory)
        let model = ModelRunner(name: "fake", predictor: try Predictor(network: SlowThresholdNetwork(delay: 0)))
        let mask = BinaryMask(width: 20, height: 20, pixels: (0..<400).map { $0 % 20 < 10 })
        for slice in sidecar.slices.prefix(2) {
            _ = try project.accept(label: "organ", image: slice.image, mask: mask, annotator: "", interactions: 0)
        }
        let cache = ContextCache()
        let before = try cache.contextSet(project: project, label: "organ", revision: project.contextRevision(label: "organ"), model: model)
        #expect(before.preparations == 2)
        let id = sidecar.slices[0].image
        let keyBefore = PredictionCache<Int>.Key(label: LabelKey(project, "organ"), image: id, context: project.contextRevision(label: "organ"))

        try project.setWindow(label: "organ", window: LabelWindow(preset: .softTissue))
        let after = try cache.contextSet(project: project, label: "organ", revision: project.contextRevision(label: "organ"), model: model)
        #expect(after.preparations == 2 && after.ids == before.ids, "a fresh set, both entries prepared again")
        #expect(after.entry(id: id)!.pair.image != before.entry(id: id)!.pair.image)
        let keyAfter = PredictionCache<Int>.Key(label: LabelKey(project, "organ"), image: id, context: project.contextRevision(label: "organ"))
        #expect(keyAfter != keyBefore, "predictions cached under the old window are not served")
        // Asking again under the same window reuses the set.
        #expect(try cache.contextSet(project: project, label: "organ", revision: project.contextRevision(label: "organ"), model: model).preparations == 2)

        // The target image is cached per window too.
        let plain = try cache.networkImage(project: project, image: id, window: nil)
        let windowed = try cache.networkImage(project: project, image: id, window: LabelWindow(preset: .softTissue))
        #expect(!plain.windowed && windowed.windowed && plain.pixels != windowed.pixels)
        #expect(try cache.networkImage(project: project, image: id, window: LabelWindow(preset: .lung)).pixels != windowed.pixels)
    }

    @Test func anEightBitProjectPredictsAsBeforeWhateverItsWindow() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try ProjectLibrary(root: directory.path).createProject(name: "P", labels: ["l"])
        for n in 0..<3 {
            try project.importImage(name: "i\(n).png", png: try EdgeApp.grey(24, 20) { x, y in UInt16((x * 9 + y * 3 + n * 7) % 256) })
        }
        let mask = BinaryMask(width: 24, height: 20, pixels: (0..<480).map { $0 % 24 < 12 })
        for id in ["i0", "i1"] { _ = try project.accept(label: "l", image: id, mask: mask, annotator: "", interactions: 0) }
        let predictor = try Predictor(network: SlowThresholdNetwork(delay: 0))

        // Before windows existed: the PNG's luminance, min-max rescaled by the predictor.
        var oldContext = predictor.makeContextSet()
        for id in ["i0", "i1"] { try oldContext.insert(id: id, image: GreyImage(try project.loadImage(id)), mask: mask) }
        let golden = try predictor.predict(GreyImage(try project.loadImage("i2")), context: oldContext)

        let model = ModelRunner(name: "fake", predictor: try Predictor(network: SlowThresholdNetwork(delay: 0)))
        for window in [nil, LabelWindow(preset: .bone)] {
            try project.setWindow(label: "l", window: window)
            let cache = ContextCache()
            let target = try cache.networkImage(project: project, image: "i2", window: project.contextRevision(label: "l").window)
            let context = try cache.contextSet(project: project, label: "l", revision: project.contextRevision(label: "l"), model: model)
            let now = try predictor.predict(target, context: context)
            #expect(now.mask == golden.mask && now.lowResolutionLogits == golden.lowResolutionLogits)
            #expect(!target.windowed)
        }
    }
}
