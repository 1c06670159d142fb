import Foundation
import Imaging
import Inference
import PNGCodec

/// What a page is told about one prediction (the data of a `prediction` event): the mask as a
/// base64 PNG at the image's size, and figures for the status bar.
///
/// ```swift
/// let result = try PredictionResult(prediction, image: "knee-07", label: "bone", seq: 3, latency: .milliseconds(40))
/// result.answering(seq: 5).cached   // true
/// ```
struct PredictionResult: Encodable, Sendable {
    let image: String
    let label: String
    let seq: Int
    let latencyMs: Double
    let contextSize: Int
    /// "interactive" when the interactive-only network ran, else "multiverseg".
    let network: String
    /// `Prediction.uncertainty`.
    let uncertainty: Double
    let maskPNG: String
    let cached: Bool

    init(_ prediction: Prediction, image: String, label: String, seq: Int, latency: Duration) throws {
        let png = try prediction.mask.pngData()
        self.init(
            image: image, label: label, seq: seq,
            latencyMs: latency.inMilliseconds,
            contextSize: prediction.contextIDs.count,
            network: prediction.usedInteractiveNetwork ? "interactive" : "multiverseg",
            uncertainty: prediction.uncertainty, maskPNG: Data(png).base64EncodedString(), cached: false)
    }

    init(image: String, label: String, seq: Int, latencyMs: Double, contextSize: Int, network: String,
         uncertainty: Double, maskPNG: String, cached: Bool) {
        self.image = image
        self.label = label
        self.seq = seq
        self.latencyMs = latencyMs
        self.contextSize = contextSize
        self.network = network
        self.uncertainty = uncertainty
        self.maskPNG = maskPNG
        self.cached = cached
    }

    /// This result as the answer to request `seq`, marked as served from the cache.
    func answering(seq: Int) -> PredictionResult {
        PredictionResult(image: image, label: label, seq: seq, latencyMs: latencyMs, contextSize: contextSize,
                         network: network, uncertainty: uncertainty, maskPNG: maskPNG, cached: true)
    }
}
