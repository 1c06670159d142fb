import Foundation

extension Prediction {
    /// Mean binary entropy, in bits, of the foreground probabilities over the network's R x R
    /// output: 0 when every pixel is certain, 1 when every pixel is a coin flip. The app ranks
    /// images by it ("most uncertain next"); it is computed on the low-resolution logits so that
    /// a large image does not count for more than a small one.
    ///
    /// ```swift
    /// let prediction = try predictor.predict(image, context: context)
    /// if prediction.uncertainty > 0.5 { print("worth a look") }
    /// ```
    public var uncertainty: Double { Self.meanBinaryEntropy(logits: lowResolutionLogits) }

    /// Mean binary entropy (bits) of sigmoid(logit) over `logits`; 0 for none.
    static func meanBinaryEntropy(logits: [Float]) -> Double {
        guard !logits.isEmpty else { return 0 }
        var total = 0.0
        for logit in logits {
            let p = 1 / (1 + exp(-Double(logit)))
            // Saturated pixels contribute nothing (and would give 0 * -inf).
            if p > 1e-12 && p < 1 - 1e-12 { total -= p * log2(p) + (1 - p) * log2(1 - p) }
        }
        return total / Double(logits.count)
    }
}
