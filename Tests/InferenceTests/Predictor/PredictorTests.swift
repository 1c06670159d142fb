import Foundation
import Imaging
import Testing

@testable import Inference

/// A network that records what it is given and answers with `answer(target, context)`.
final class RecordingNetwork: SegmentationNetwork {
    let resolution: Int
    var targets: [[Float]] = []
    var contexts: [[ContextPair]] = []
    var answer: ([Float], [ContextPair]) -> [Float]

    init(resolution: Int = 128, answer: (([Float], [ContextPair]) -> [Float])? = nil) {
        self.resolution = resolution
        let r = resolution
        self.answer = answer ?? { _, _ in [Float](repeating: -1, count: r * r) }
    }

    func logits(target: [Float], context: [ContextPair]) throws -> [Float] {
        precondition(target.count == 5 * resolution * resolution, "target is not [5, R, R]")
        targets.append(target)
        contexts.append(context)
        return answer(target, context)
    }

    /// Channel `c` of the last target.
    func channel(_ c: Int) -> [Float] {
        let n = resolution * resolution
        return Array(targets.last![(c * n)..<((c + 1) * n)])
    }
}

func ramp(width: Int, height: Int) throws -> GreyImage {
    try GreyImage(width: width, height: height, pixels: (0..<(width * height)).map { Float($0 % width + 3 * ($0 / width)) })
}

@Suite("Predictor")
struct PredictorTests {
    @Test func targetChannelsAreImageBoxPositiveNegativePrevious() throws {
        let net = RecordingNetwork()
        let predictor = try Predictor(network: net)
        let image = try ramp(width: 200, height: 100)
        _ = try predictor.predict(image, interactions: Interactions(
            positiveClicks: [point(100, 50)], negativeClicks: [point(0, 0)],
            boxes: [ImageBox(x0: 10, y0: 10, x1: 20, y1: 20)]))
        let picture = net.channel(0)
        #expect(picture.max()! <= 1 && picture.min()! >= 0 && picture.max()! > 0.95)
        // Padding rows above and below the 200x100 image are zero; image rows are not.
        #expect(picture[0..<(32 * 128)].allSatisfy { $0 == 0 })
        #expect(picture[(96 * 128)...].allSatisfy { $0 == 0 })
        #expect(picture[(95 * 128)..<(96 * 128)].allSatisfy { $0 > 0 })
        #expect(net.channel(1).reduce(0, +) > 0)
        #expect(net.channel(2)[64 * 128 + 64] == 1 && net.channel(2).reduce(0, +) == 1)
        #expect(net.channel(3)[32 * 128 + 0] == 1 && net.channel(3).reduce(0, +) == 1)
        #expect(net.channel(4).allSatisfy { $0 == 0 })
    }

    @Test func aMaskFromElsewhereBecomesPreviousLogitsOnTheNetworkGrid() throws {
        let predictor = try Predictor(network: RecordingNetwork(resolution: 16))
        // 32 x 16: the square is 32 x 32, so the mask fills rows 4...11 of the 16 x 16 grid.
        let mask = BinaryMask(width: 32, height: 16, pixels: (0..<512).map { $0 % 32 < 16 })
        let logits = predictor.previousLogits(from: mask)
        #expect(logits.count == 256)
        let bound = Float(log(0.99 / 0.01))
        #expect(logits.allSatisfy { abs($0) <= bound + 1e-4 })
        // Foreground on the left of the image rows, background on the right and in the padding.
        #expect(abs(logits[6 * 16 + 2] - bound) < 1e-4 && abs(logits[6 * 16 + 13] + bound) < 1e-4)
        #expect(abs(logits[0 * 16 + 2] + bound) < 1e-4 && abs(logits[15 * 16 + 2] + bound) < 1e-4)
        // Fed back as the previous prediction, it is the fifth channel.
        let net = RecordingNetwork(resolution: 16)
        _ = try Predictor(network: net).predict(try ramp(width: 32, height: 16), previousLogits: logits)
        #expect(net.channel(4) == logits)
    }

    @Test func previousLogitsAreFedBackAsLogitsOrProbabilities() throws {
        let net = RecordingNetwork(resolution: 16) { _, _ in (0..<256).map { Float($0) / 16 - 8 } }
        let image = try ramp(width: 40, height: 30)
        let first = try Predictor(network: net).predict(image)
        _ = try Predictor(network: net).predict(image, previousLogits: first.lowResolutionLogits)
        #expect(net.channel(4) == first.lowResolutionLogits)
        #expect(net.channel(4).min() == -8)

        let soft = try Predictor(network: net, options: PredictorOptions(previousPrediction: .probabilities))
        _ = try soft.predict(image, previousLogits: first.lowResolutionLogits)
        #expect(net.channel(4) == first.lowResolutionLogits.map(sigmoid))
        #expect(abs(net.channel(4)[0] - 1 / (1 + exp(8))) < 1e-6)

        #expect(throws: PredictorError.previousPredictionSizeMismatch(expected: 256, got: 3)) {
            try Predictor(network: net).predict(image, previousLogits: [0, 0, 0])
        }
    }

    @Test func outputIsResizedBackAndCroppedForAWideImage() throws {
        // Logits grow down the rows: logit(row) = row - 63.5 (zero between rows 63 and 64).
        let net = RecordingNetwork { _, _ in (0..<(128 * 128)).map { Float($0 / 128) - 63.5 } }
        let image = try ramp(width: 200, height: 100)
        let p = try Predictor(network: net).predict(image)
        #expect(p.width == 200 && p.height == 100)
        #expect(p.probabilities.count == 200 * 100 && p.mask.pixels.count == 200 * 100)
        // Square row Y (image row y + 50) sits at network row (Y + 0.5) * 0.64 - 0.5, so the
        // logit is positive exactly from square row 100 = image row 50 on.
        for y in 0..<100 {
            let row = p.mask.pixels[(y * 200)..<((y + 1) * 200)]
            #expect(row.allSatisfy { $0 == (y >= 50) }, "row \(y)")
        }
        let expected = sigmoid((Float(49 + 50) + 0.5) * 0.64 - 0.5 - 63.5)
        #expect(abs(p.probabilities[49 * 200] - expected) < 1e-5)
        #expect(p.lowResolutionLogits.count == 128 * 128)
    }

    @Test func outputIsResizedBackAndCroppedForATallImage() throws {
        // Logits grow along the columns; the 100x200 image occupies square columns 50..<150.
        let net = RecordingNetwork { _, _ in (0..<(128 * 128)).map { Float($0 % 128) - 63.5 } }
        let image = try ramp(width: 100, height: 200)
        let p = try Predictor(network: net).predict(image)
        for x in 0..<100 {
            #expect(p.mask[x, 150] == (x >= 50), "column \(x)")
        }
    }

    @Test func outputOfATinyImageIsShrunk() throws {
        let net = RecordingNetwork { _, _ in [Float](repeating: 2, count: 128 * 128) }
        let p = try Predictor(network: net).predict(try ramp(width: 5, height: 3))
        #expect(p.mask.pixels == [Bool](repeating: true, count: 15))
        #expect(p.probabilities.allSatisfy { abs($0 - sigmoid(2)) < 1e-5 })
    }

    @Test func emptyContextUsesTheInteractiveNetworkWhenThereIsOne() throws {
        let main = RecordingNetwork(resolution: 32)
        let interactive = RecordingNetwork(resolution: 32)
        let predictor = try Predictor(network: main, interactiveNetwork: interactive)
        let image = try ramp(width: 20, height: 20)
        let first = try predictor.predict(image, context: predictor.makeContextSet())
        #expect(first.usedInteractiveNetwork && interactive.targets.count == 1 && main.targets.isEmpty)
        #expect(interactive.contexts[0].isEmpty)

        var context = predictor.makeContextSet()
        try context.insert(id: "a", image: image, mask: BinaryMask(width: image.width, height: image.height,
                                                                   pixels: [Bool](repeating: true, count: 400)))
        let second = try predictor.predict(image, context: context)
        #expect(!second.usedInteractiveNetwork && main.targets.count == 1 && second.contextIDs == ["a"])

        // Re-segmenting "a" itself leaves nothing, so the interactive network runs again.
        let again = try predictor.predict(image, context: context, excludingContextID: "a")
        #expect(again.usedInteractiveNetwork && again.contextIDs.isEmpty)

        // Without an interactive network the main one gets the empty context.
        let alone = try Predictor(network: main)
        _ = try alone.predict(image)
        #expect(main.targets.count == 2 && main.contexts[1].isEmpty)
    }

    @Test func mismatchedNetworksAndBadOutputsAreTypedErrors() throws {
        #expect(throws: PredictorError.resolutionMismatch(network: 128, interactive: 64)) {
            try Predictor(network: RecordingNetwork(), interactiveNetwork: RecordingNetwork(resolution: 64))
        }
        #expect(throws: PredictorError.invalidContextLimit(0)) {
            try Predictor(network: RecordingNetwork(), options: PredictorOptions(contextLimit: 0))
        }
        let broken = RecordingNetwork(resolution: 8) { _, _ in [1, 2, 3] }
        #expect(throws: PredictorError.networkOutputSizeMismatch(expected: 64, got: 3)) {
            try Predictor(network: broken).predict(try ramp(width: 4, height: 4))
        }
        let image = try ramp(width: 4, height: 4)
        #expect(throws: PredictorError.contextResolutionMismatch(network: 128, context: 64)) {
            var other = ContextSet(resolution: 64)
            try other.insert(id: "x", image: image, mask: BinaryMask(width: 4, height: 4))
            return try Predictor(network: RecordingNetwork()).predict(image, context: other)
        }
        #expect(throws: PredictorError.coordinateOutOfRange(interaction: "positive click 1", x: 4, y: 0,
                                                            width: 4, height: 4)) {
            try Predictor(network: RecordingNetwork()).predict(image, interactions: Interactions(positiveClicks: [point(4, 0)]))
        }
    }

    @Test func timingIsReported() throws {
        let p = try Predictor(network: RecordingNetwork()).predict(try ramp(width: 300, height: 200))
        #expect(p.timing.total >= p.timing.network && p.timing.preprocessing > .zero)
    }
}
