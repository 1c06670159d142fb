import Foundation
import Imaging

extension Predictor {
    /// Logits on the network grid that stand for `mask` as if the network had predicted it: what
    /// to pass as `previousLogits` to refine a mask that came from elsewhere (a proposal made by
    /// `propagate`, an imported draft). The mask is resampled like an image (so its edges become
    /// probabilities between 0 and 1), then each probability, kept within 1%...99% so no logit is
    /// unbounded, becomes its logit (at most ±4.6, the confidence of a clear prediction).
    ///
    /// Shapes: `mask` [height, width] -> [R, R].
    ///
    /// ```swift
    /// let refined = try predictor.predict(image, interactions: clicks, context: context,
    ///                                     previousLogits: predictor.previousLogits(from: proposal))
    /// ```
    public func previousLogits(from mask: BinaryMask) -> [Float] {
        let geometry = SquareGeometry(width: mask.width, height: mask.height, resolution: resolution)
        let probabilities = geometry.toNetwork(mask.pixels.map { $0 ? 1 : 0 }, antialiasAbove: options.antialiasAbove)
        return probabilities.map { value in
            let p = min(max(value, 0.01), 0.99)
            return log(p / (1 - p))
        }
    }
}
