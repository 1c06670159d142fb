import Imaging
import Testing
import TestSupport

@testable import Inference

/// The predictor on the real networks, with small fixed-seed random weights (nothing trained:
/// these check the plumbing, not segmentation quality).
@Suite("Predictor integration")
struct PredictorIntegrationTests {
    static let main = NetworkConfiguration.multiverseg(features: 8, levels: 3, resolution: 32)
    static let interactive = NetworkConfiguration.scribblePromptUNet(features: 8, levels: 3, resolution: 32)

    func blobs(width: Int, height: Int, x0: Int, y0: Int) throws -> GreyImage {
        var pixels = [Float](repeating: 20, count: width * height)
        for y in 0..<height {
            for x in 0..<width where (x - x0) * (x - x0) + (y - y0) * (y - y0) < 64 { pixels[y * width + x] = 200 }
        }
        return try GreyImage(width: width, height: height, pixels: pixels)
    }

    @Test func endToEndWithRandomWeightsFromAFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("random.safetensors")
        try SafeTensors.write(Self.main.randomWeights(seed: 3), to: path)
        let network = try MultiverSegNetwork(weights: try SafeTensors.read(contentsOf: path))
        let unet = try ScribblePromptUNet(randomConfiguration: Self.interactive, seed: 5)
        let predictor = try Predictor(network: network, interactiveNetwork: unet,
                                      options: PredictorOptions(contextLimit: 2))

        let target = try blobs(width: 45, height: 30, x0: 20, y0: 15)
        let clicks = Interactions(positiveClicks: [ImagePoint(x: 20, y: 15)], negativeClicks: [ImagePoint(x: 2, y: 2)])
        let first = try predictor.predict(target, interactions: clicks, context: predictor.makeContextSet())
        #expect(first.usedInteractiveNetwork && first.contextIDs.isEmpty)
        #expect(first.width == 45 && first.height == 30 && first.mask.pixels.count == 45 * 30)
        #expect(first.probabilities.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        #expect(first.lowResolutionLogits.count == 32 * 32)

        var context = predictor.makeContextSet()
        for (n, (x, y)) in [(10, 10), (30, 20), (22, 14)].enumerated() {
            let image = try blobs(width: 40, height: 40, x0: x, y0: y)
            try context.insert(id: "c\(n)", image: image, mask: BinaryMask(width: image.width, height: image.height, pixels: image.pixels.map { $0 > 100 }))
        }
        let second = try predictor.predict(target, interactions: clicks, context: context,
                                           previousLogits: first.lowResolutionLogits)
        #expect(!second.usedInteractiveNetwork && second.contextIDs.count == 2)
        #expect(second.probabilities.allSatisfy { $0.isFinite })

        // Exactly what the predictor hands the network: same logits when called directly.
        let (input, _) = try predictor.targetInput(target, interactions: clicks, previousLogits: first.lowResolutionLogits)
        let direct = try network.logits(target: input, context: second.contextIDs.map { context.entry(id: $0)!.pair })
        #expect(direct == second.lowResolutionLogits)
        // Deterministic, and the previous prediction matters.
        let again = try predictor.predict(target, interactions: clicks, context: context,
                                          previousLogits: first.lowResolutionLogits)
        #expect(again.lowResolutionLogits == second.lowResolutionLogits)
        let fresh = try predictor.predict(target, interactions: clicks, context: context)
        #expect(fresh.lowResolutionLogits != second.lowResolutionLogits)
        print("integration: interactive \(first.timing.total), multiverseg \(second.timing.total)")
    }

    @Test func theMainNetworkAloneHandlesAnEmptyContext() throws {
        let network = try MultiverSegNetwork(randomConfiguration: Self.main, seed: 9)
        let p = try Predictor(network: network).predict(try blobs(width: 20, height: 33, x0: 8, y0: 20))
        #expect(!p.usedInteractiveNetwork && p.mask.pixels.count == 20 * 33)
        #expect(p.probabilities.allSatisfy { $0.isFinite })
    }
}
