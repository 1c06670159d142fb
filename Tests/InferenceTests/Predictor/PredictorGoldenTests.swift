import Foundation
import Imaging
import Testing

@testable import Inference

/// One whole prediction against PyTorch (Fixtures/make_predictor_golden.py): a 45x30 image in an
/// arbitrary intensity range, clicks, a box, a previous prediction and two context entries of
/// other sizes, through the reference network with random weights.
@Suite("Predictor golden")
struct PredictorGoldenTests {
    struct Golden {
        var fields: [String: [(shape: [Int], values: [Float])]] = [:]

        init() throws {
            let url = try #require(Bundle.module.url(forResource: "predictor_golden", withExtension: "txt",
                                                      subdirectory: "Fixtures"))
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                let key = String(parts[0])
                let sized = key.hasPrefix("image") || key.hasPrefix("context_")
                let shape = sized ? [Int(parts[1])!, Int(parts[2])!] : []
                let values = parts.dropFirst(sized ? 3 : 1).map { Float($0)! }
                fields[key, default: []].append((shape, values))
            }
        }

        func values(_ key: String, _ n: Int = 0) -> [Float] { fields[key]![n].values }

        func image(_ key: String, _ n: Int = 0) throws -> GreyImage {
            let (shape, values) = fields[key]![n]
            return try GreyImage(width: shape[1], height: shape[0], pixels: values)
        }

        func points(_ key: String) -> [ImagePoint] {
            let v = values(key)
            return stride(from: 0, to: v.count, by: 2).map { ImagePoint(x: Double(v[$0]), y: Double(v[$0 + 1])) }
        }
    }

    @Test func wholePredictionMatchesPyTorch() throws {
        let golden = try Golden()
        let url = try #require(Bundle.module.url(forResource: "multiverseg_nf8_l3_weights",
                                                  withExtension: "safetensors", subdirectory: "Fixtures/golden"))
        let network = try MultiverSegNetwork(weights: try SafeTensors.read(contentsOf: url.path))
        #expect(network.resolution == 32)
        let predictor = try Predictor(network: network)

        let box = golden.values("box").map(Double.init)
        let interactions = Interactions(
            positiveClicks: golden.points("positive_click"), negativeClicks: golden.points("negative_click"),
            boxes: [ImageBox(x0: box[0], y0: box[1], x1: box[2], y1: box[3])])
        var context = predictor.makeContextSet()
        for n in 0..<2 {
            let image = try golden.image("context_image", n)
            try context.insert(id: "c\(n)", image: image, mask: BinaryMask(
                width: image.width, height: image.height, pixels: golden.values("context_mask", n).map { $0 > 0.5 }))
        }
        let target = try golden.image("image")
        let previous = golden.values("previous")

        let (input, _) = try predictor.targetInput(target, interactions: interactions, previousLogits: previous)
        let inputCheck = compare(input, golden.values("target"), atol: 1e-6, rtol: 1e-6)
        print("golden prediction: target input max |diff| \(inputCheck.maxDiff)")
        #expect(inputCheck.ok)

        let p = try predictor.predict(target, interactions: interactions, context: context, previousLogits: previous)
        #expect(p.contextIDs == ["c0", "c1"])
        let logits = compare(p.lowResolutionLogits, golden.values("logits"), atol: 1e-4, rtol: 1e-4)
        let probabilities = compare(p.probabilities, golden.values("probabilities"), atol: 2e-5, rtol: 1e-4)
        print("golden prediction: logits max |diff| \(logits.maxDiff), probabilities max |diff| \(probabilities.maxDiff)")
        #expect(logits.ok)
        #expect(probabilities.ok)
        let expectedMask = golden.values("probabilities").map { $0 > 0.5 }
        let disagreements = zip(p.mask.pixels, expectedMask).filter { $0 != $1 }.count
        #expect(disagreements == 0)
        #expect(expectedMask.contains(true) && expectedMask.contains(false))
    }
}
