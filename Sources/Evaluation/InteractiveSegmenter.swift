import Imaging
import Inference

/// What a segmenter returns for one image: the thresholded mask at the image's size and
/// whatever it wants fed back with the next request for the same image (the predictor's
/// low-resolution logits).
public struct SegmenterOutput: Sendable {
    public var mask: BinaryMask
    public var feedback: [Float]

    public init(mask: BinaryMask, feedback: [Float] = []) {
        self.mask = mask
        self.feedback = feedback
    }
}

/// The one thing the evaluation protocols need from a model: segment an image from
/// interactions, optionally conditioned on a context set that the protocol grows. The real
/// implementation is `PredictorSegmenter`; tests use fakes. Instances are not shared between
/// threads: each worker makes its own.
///
/// ```swift
/// segmenter.resetContext()
/// try segmenter.addToContext(id: "a", image: image, mask: mask)
/// let out = try segmenter.segment(id: "b", image: other, interactions: clicks, previous: nil, useContext: true)
/// ```
public protocol InteractiveSegmenter: AnyObject {
    /// Entries in the context set now.
    var contextCount: Int { get }
    /// Empties the context set (a new simulated user starts).
    func resetContext()
    /// Adds a labeled image to the context set (the mask is used thresholded, as is).
    func addToContext(id: String, image: GreyImage, mask: BinaryMask) throws
    /// Segments `image` (identified by `id`) from `interactions`; `previous` is this image's
    /// last output, nil at the first request. With `useContext` false the context set is ignored
    /// (the context-free, interactive-only model runs).
    func segment(id: String, image: GreyImage, interactions: Interactions, previous: SegmenterOutput?,
                 useContext: Bool) throws -> SegmenterOutput
}

/// `InteractiveSegmenter` over the product's `Predictor`: the same pre-processing, context
/// selection and networks as the app.
///
/// ```swift
/// let predictor = try Predictor(network: MultiverSegNetwork(weights: weights, threads: 1))
/// let segmenter = PredictorSegmenter(predictor: predictor)
/// ```
public final class PredictorSegmenter: InteractiveSegmenter {
    public let predictor: Predictor
    private var context: ContextSet

    public init(predictor: Predictor) {
        self.predictor = predictor
        context = predictor.makeContextSet()
    }

    public var contextCount: Int { context.count }

    public func resetContext() { context = predictor.makeContextSet() }

    public func addToContext(id: String, image: GreyImage, mask: BinaryMask) throws {
        try context.insert(id: id, image: image, mask: mask)
    }

    public func segment(id: String, image: GreyImage, interactions: Interactions, previous: SegmenterOutput?,
                        useContext: Bool) throws -> SegmenterOutput {
        let prediction = try predictor.predict(
            image, interactions: interactions, context: useContext ? context : nil,
            previousLogits: previous?.feedback, excludingContextID: id)
        return SegmenterOutput(mask: prediction.mask,
                               feedback: prediction.lowResolutionLogits)
    }
}
