import Foundation
import Imaging
@testable import Inference
import Testing

@Suite struct PredictionUncertaintyTests {
    @Test func meanBinaryEntropyInBits() {
        #expect(Prediction.meanBinaryEntropy(logits: []) == 0)
        #expect(Prediction.meanBinaryEntropy(logits: [0, 0]) == 1)
        #expect(Prediction.meanBinaryEntropy(logits: [80, -80]) == 0, "saturated pixels are certain")
        #expect(abs(Prediction.meanBinaryEntropy(logits: [0, 80]) - 0.5) < 1e-12)
        // p = sigmoid(log 3) = 0.75: H = 0.811278 bits.
        #expect(abs(Prediction.meanBinaryEntropy(logits: [Float(log(3.0))]) - 0.811278) < 1e-5)
    }

    @Test func aPredictionReportsItsUncertainty() throws {
        let predictor = try Predictor(network: MultiverSegNetwork(
            randomConfiguration: .multiverseg(features: 8, levels: 3, resolution: 16)))
        let image = try GreyImage(width: 20, height: 12, pixels: (0..<240).map { Float($0 % 20) / 20 })
        let prediction = try predictor.predict(image, context: predictor.makeContextSet())
        #expect(prediction.uncertainty == Prediction.meanBinaryEntropy(logits: prediction.lowResolutionLogits))
        #expect(prediction.uncertainty >= 0 && prediction.uncertainty <= 1)
    }
}
