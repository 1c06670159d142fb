import Imaging

/// Wall-clock time spent in each stage of one prediction.
public struct PredictionTiming: Sendable, Equatable {
    /// Image rescaling, padding, resizing, interaction encoding, context choice.
    public var preprocessing: Duration
    /// The network's forward pass.
    public var network: Duration
    /// Resizing the logits back, cropping, sigmoid and threshold.
    public var postprocessing: Duration

    public var total: Duration { preprocessing + network + postprocessing }
}

/// The result of one prediction, at the target's original size plus what to feed back.
///
/// ```swift
/// let first = try predictor.predict(image, interactions: clicks, context: context)
/// let refined = try predictor.predict(image, interactions: moreClicks, context: context,
///                                     previousLogits: first.lowResolutionLogits)
/// ```
public struct Prediction: Sendable {
    public let width: Int
    public let height: Int
    /// Foreground probability per original pixel (sigmoid of the resized logits), row-major.
    public let probabilities: [Float]
    /// Resized logit above 0, i.e. probability above one half. Thresholding the logit (not
    /// `BinaryMask.isForeground` on the probability) is the network's own boundary: a logit of
    /// exactly 0, probability exactly 0.5, is background here.
    public let mask: BinaryMask
    /// The network's raw [R, R] logits: pass them as `previousLogits` to refine this image.
    public let lowResolutionLogits: [Float]
    /// Ids of the context entries the network conditioned on, in insertion order.
    public let contextIDs: [String]
    /// True when the interactive-only network ran (no context available).
    public let usedInteractiveNetwork: Bool
    public let timing: PredictionTiming
}
