/// What can go wrong between the caller's arrays and the network; each case says what to fix.
public enum PredictorError: Error, Equatable, CustomStringConvertible {
    /// An interaction point that does not lie on the image.
    case coordinateOutOfRange(interaction: String, x: Double, y: Double, width: Int, height: Int)
    /// A scribble without points, or with a width that is not a positive finite number.
    case invalidScribble(reason: String)
    /// A context mask whose size differs from its image.
    case contextMaskSizeMismatch(id: String, imagePixels: Int, maskPixels: Int)
    /// A previous prediction not at the network's resolution.
    case previousPredictionSizeMismatch(expected: Int, got: Int)
    /// The network returned a map of the wrong size (a bug in the network implementation).
    case networkOutputSizeMismatch(expected: Int, got: Int)
    /// A context limit below 1.
    case invalidContextLimit(Int)
    /// The interactive-only network works at another resolution than the main one.
    case resolutionMismatch(network: Int, interactive: Int)
    /// A context set prepared for another resolution than the network's.
    case contextResolutionMismatch(network: Int, context: Int)

    public var description: String {
        switch self {
        case let .coordinateOutOfRange(interaction, x, y, width, height):
            return "\(interaction) at (\(x), \(y)) is outside the \(width)x\(height) image: "
                + "coordinates are pixel indices, x in 0...\(width - 1), y in 0...\(height - 1)"
        case let .invalidScribble(reason):
            return "invalid scribble: \(reason)"
        case let .contextMaskSizeMismatch(id, imagePixels, maskPixels):
            return "context entry '\(id)': mask has \(maskPixels) pixels but its image has \(imagePixels); "
                + "masks must have the image's width and height"
        case let .previousPredictionSizeMismatch(expected, got):
            return "previous prediction has \(got) values, expected \(expected) (the network's R x R): "
                + "pass Prediction.lowResolutionLogits of the same image, or nothing"
        case let .networkOutputSizeMismatch(expected, got):
            return "network returned \(got) logits, expected \(expected): the network implementation is wrong"
        case let .invalidContextLimit(limit):
            return "context limit \(limit) is invalid: use at least 1"
        case let .resolutionMismatch(network, interactive):
            return "the interactive network works at \(interactive)x\(interactive) but the main one at "
                + "\(network)x\(network): load weights made for the same resolution"
        case let .contextResolutionMismatch(network, context):
            return "the context set was prepared at \(context)x\(context) but the network works at "
                + "\(network)x\(network): make it with Predictor.makeContextSet()"
        }
    }
}
