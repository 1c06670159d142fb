import Imaging
import Testing

@testable import Inference

/// A 32x32 image with a bright square at (x0, y0): different positions give different layouts.
func blobImage(x0: Int, y0: Int, side: Int = 32, blob: Int = 10, brightness: Float = 1) throws -> GreyImage {
    var pixels = [Float](repeating: 0.1, count: side * side)
    for y in y0..<min(y0 + blob, side) {
        for x in x0..<min(x0 + blob, side) { pixels[y * side + x] = brightness }
    }
    return try GreyImage(width: side, height: side, pixels: pixels)
}

@Suite("Predictor context")
struct PredictorContextTests {
    @Test func masksAreThresholdedAtBothResolutions() throws {
        var context = ContextSet(resolution: 64)
        let image = try blobImage(x0: 4, y0: 4)
        // A soft mask: 0.6 on the left half, 0.4 on the right.
        let soft = (0..<(32 * 32)).map { $0 % 32 < 16 ? Float(0.6) : 0.4 }
        try context.insert(id: "soft", image: image, mask: soft)
        let mask = try #require(context.entry(id: "soft")).pair.mask
        #expect(mask.allSatisfy { $0 == 0 || $0 == 1 })
        #expect(mask[0] == 1 && mask[63] == 0 && mask.reduce(0, +) == 64 * 32)
        // The network sees exactly these binary masks.
        let net = RecordingNetwork(resolution: 64)
        _ = try Predictor(network: net).predict(image, context: context)
        #expect(net.contexts[0].count == 1 && net.contexts[0][0].mask == mask)
    }

    @Test func maskSizeMismatchIsATypedError() throws {
        var context = ContextSet(resolution: 64)
        #expect(throws: PredictorError.contextMaskSizeMismatch(id: "m", imagePixels: 1024, maskPixels: 10)) {
            try context.insert(id: "m", image: try blobImage(x0: 0, y0: 0), mask: BinaryMask(width: 10, height: 1, pixels: [Bool](repeating: true, count: 10)))
        }
        #expect(context.count == 0)
    }

    @Test func neverMoreThanTheLimitReachTheNetwork() throws {
        let net = RecordingNetwork(resolution: 32)
        let predictor = try Predictor(network: net, options: PredictorOptions(contextLimit: 4))
        var context = predictor.makeContextSet()
        for i in 0..<10 {
            try context.insert(id: "e\(i)", image: try blobImage(x0: 2 * i, y0: i),
                               mask: BinaryMask(width: 32, height: 32, pixels: [Bool](repeating: i % 2 == 0, count: 1024)))
            let p = try predictor.predict(try blobImage(x0: 5, y0: 5), context: context)
            #expect(p.contextIDs.count == min(i + 1, 4))
            #expect(net.contexts.last!.count == min(i + 1, 4))
        }
    }

    @Test func theMostSimilarEntriesAreChosenInInsertionOrder() throws {
        let net = RecordingNetwork(resolution: 32)
        let predictor = try Predictor(network: net, options: PredictorOptions(contextLimit: 3))
        var context = predictor.makeContextSet()
        let none = BinaryMask(width: 32, height: 32)
        // Blobs along the diagonal; the target's blob is at (12, 12).
        for (id, at) in [("far0", 0), ("near14", 14), ("far22", 22), ("exact", 12), ("near10", 10), ("far20", 20)] {
            try context.insert(id: id, image: try blobImage(x0: at, y0: at), mask: none)
        }
        let target = try blobImage(x0: 12, y0: 12, brightness: 0.5)   // contrast does not matter
        let p = try predictor.predict(target, context: context)
        #expect(p.contextIDs == ["near14", "exact", "near10"])
        // The network got those entries' pairs, in that order.
        #expect(net.contexts[0].map(\.image) == p.contextIDs.map { context.entry(id: $0)!.pair.image })
    }

    @Test func tiesGoToTheEarlierEntry() throws {
        var context = ContextSet(resolution: 32)
        let image = try blobImage(x0: 3, y0: 3)
        let none = BinaryMask(width: 32, height: 32)
        for id in ["d", "b", "c", "a"] { try context.insert(id: id, image: image, mask: none) }
        let target = ContextSet.thumbnail(try #require(context.entry(id: "a")).pair.image, resolution: 32)
        let chosen = try context.select(forThumbnail: target, limit: 2)
        #expect(chosen.map(\.id) == ["d", "b"])
        #expect(try context.select(forThumbnail: target, limit: 2, excluding: "d").map(\.id) == ["b", "c"])
        #expect(throws: PredictorError.invalidContextLimit(0)) { try context.select(forThumbnail: target, limit: 0) }
    }

    @Test func constantImagesHaveZeroSimilarity() throws {
        let flat = ContextSet.thumbnail([Float](repeating: 0.3, count: 32 * 32), resolution: 32)
        let blob = ContextSet.thumbnail(try blobImage(x0: 2, y0: 2).pixels, resolution: 32)
        #expect(flat.allSatisfy { $0 == 0 })
        #expect(ContextSet.similarity(flat, blob) == 0)
        // Any brightness, any resolution: resampling residue must not pose as a layout.
        for resolution in [16, 24, 32, 128] {
            for value: Float in [0.7, 1, 0.001, 0.999] {
                let thumbnail = ContextSet.thumbnail([Float](repeating: value, count: resolution * resolution), resolution: resolution)
                #expect(thumbnail.allSatisfy { $0 == 0 }, "\(value) at \(resolution)")
            }
        }
        #expect(abs(ContextSet.similarity(blob, blob) - 1) < 1e-5)
    }

    @Test func entriesArePreparedOnceNotPerPrediction() throws {
        let net = RecordingNetwork(resolution: 32)
        let predictor = try Predictor(network: net)
        var context = predictor.makeContextSet()
        let mask = BinaryMask(width: 32, height: 32, pixels: [Bool](repeating: true, count: 1024))
        try context.insert(id: "a", image: try blobImage(x0: 1, y0: 1), mask: mask)
        try context.insert(id: "b", image: try blobImage(x0: 9, y0: 9), mask: mask)
        #expect(context.preparations == 2)
        let stored = try #require(context.entry(id: "a")).pair.image
        for _ in 0..<3 { _ = try predictor.predict(try blobImage(x0: 4, y0: 4), context: context) }
        #expect(context.preparations == 2)
        #expect(net.contexts.allSatisfy { $0[0].image == stored })

        // Replacing an entry prepares it again and keeps its place.
        try context.insert(id: "a", image: try blobImage(x0: 20, y0: 20), mask: mask)
        #expect(context.preparations == 3 && context.ids == ["a", "b"])
        #expect(context.entry(id: "a")!.pair.image != stored)
        #expect(context.remove(id: "a") && context.ids == ["b"] && !context.remove(id: "a"))
    }

    @Test func contextImagesGoThroughTheTargetPipeline() throws {
        // The same picture as target and as context entry reaches the network identically.
        let net = RecordingNetwork(resolution: 32)
        let predictor = try Predictor(network: net)
        var context = predictor.makeContextSet()
        let image = try ramp(width: 50, height: 30)
        try context.insert(id: "same", image: image, mask: BinaryMask(width: 50, height: 30))
        _ = try predictor.predict(image, context: context)
        #expect(net.contexts[0][0].image == net.channel(0))
    }
}
