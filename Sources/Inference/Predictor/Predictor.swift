import Foundation
import Imaging

/// What the previous-prediction input channel holds.
public enum PreviousPredictionEncoding: Sendable, Equatable {
    /// The previous raw logits, unclipped: what the authors' ScribblePrompt predictor feeds back
    /// (`mask_input`: "logits of previous prediction").
    case logits
    /// sigmoid(logits), in 0...1.
    case probabilities
}

/// Settings of a `Predictor`.
public struct PredictorOptions: Sendable, Equatable {
    /// At most this many context entries reach the network (the most similar ones), so latency
    /// stays bounded however large the labeled set grows.
    public var contextLimit: Int
    public var previousPrediction: PreviousPredictionEncoding
    /// Shrink factor above which resizing uses the antialiased filter (see `SquareGeometry`).
    public var antialiasAbove: Double

    public init(contextLimit: Int = 16, previousPrediction: PreviousPredictionEncoding = .logits,
                antialiasAbove: Double = 2) {
        self.contextLimit = contextLimit
        self.previousPrediction = previousPrediction
        self.antialiasAbove = antialiasAbove
    }
}

/// Target image + interactions + context set -> mask, around a `SegmentationNetwork`.
///
/// Pre-processing (Docs/network.md §3): intensities min-max rescaled to 0...1 per image, zero-padded to a
/// centred square, resized to the network's R x R (bilinear; antialiased when shrinking more than
/// 2x); interactions mapped by the same geometry. The R x R logits are resized back to the
/// square, cropped to the image and thresholded at 0.
///
/// Where this deliberately differs from the authors' ScribblePrompt code: their click and box
/// coordinates are scaled and truncated (`int(x * R / W)`, box slices end-exclusive), which drops
/// boxes narrower than a network pixel and shifts clicks by up to a pixel; here coordinates
/// follow the same pixel-centre geometry as the image resize and a box always covers at least
/// one pixel. Their scribbles are masks resized bilinearly (soft values); here strokes are
/// rasterised at R x R (binary), as Docs/network.md §4 says.
///
/// ```swift
/// let predictor = try Predictor(network: multiverseg, interactiveNetwork: scribblePrompt)
/// var context = predictor.makeContextSet()
/// let p = try predictor.predict(image, interactions: Interactions(positiveClicks: [.init(x: 90, y: 60)]),
///                               context: context)
/// try context.insert(id: "img-1", image: image, mask: p.mask)
/// ```
public final class Predictor {
    public let network: SegmentationNetwork
    /// Used instead of `network` when no context entry is available (the authors use
    /// ScribblePrompt-UNet for the first image); nil: `network` handles an empty context itself.
    public let interactiveNetwork: SegmentationNetwork?
    public let options: PredictorOptions

    public var resolution: Int { network.resolution }

    public init(network: SegmentationNetwork, interactiveNetwork: SegmentationNetwork? = nil,
                options: PredictorOptions = PredictorOptions()) throws {
        guard options.contextLimit >= 1 else { throw PredictorError.invalidContextLimit(options.contextLimit) }
        if let other = interactiveNetwork, other.resolution != network.resolution {
            throw PredictorError.resolutionMismatch(network: network.resolution, interactive: other.resolution)
        }
        self.network = network
        self.interactiveNetwork = interactiveNetwork
        self.options = options
    }

    /// An empty context set prepared for this predictor's resolution and filters.
    public func makeContextSet() -> ContextSet {
        ContextSet(resolution: resolution, antialiasAbove: options.antialiasAbove)
    }

    /// The five target channels for `image`: [image, box, positive, negative, previous].
    ///
    /// Shapes: result [5, R, R]; `previousLogits` [R, R].
    public func targetInput(_ image: GreyImage, interactions: Interactions, previousLogits: [Float]?) throws
        -> (input: [Float], geometry: SquareGeometry)
    {
        let r = resolution
        let geometry = SquareGeometry(width: image.width, height: image.height, resolution: r)
        let channels = try encodeInteractions(interactions, geometry: geometry)
        var input = geometry.toNetwork(image.normalisedPixels(), antialiasAbove: options.antialiasAbove)
        input.reserveCapacity(5 * r * r)
        input += channels.box
        input += channels.positive
        input += channels.negative
        if let previous = previousLogits {
            guard previous.count == r * r else {
                throw PredictorError.previousPredictionSizeMismatch(expected: r * r, got: previous.count)
            }
            switch options.previousPrediction {
            case .logits: input += previous
            case .probabilities: input += previous.map(sigmoid)
            }
        } else {
            input += [Float](repeating: 0, count: r * r)
        }
        return (input, geometry)
    }

    /// Segments `image`.
    ///
    /// - Parameters:
    ///   - context: labeled entries; at most `options.contextLimit` of them are used.
    ///   - previousLogits: `lowResolutionLogits` of the previous prediction of this image.
    ///   - excludingContextID: the target's own id, if it is in `context` (re-segmenting it).
    public func predict(
        _ image: GreyImage, interactions: Interactions = Interactions(), context: ContextSet? = nil,
        previousLogits: [Float]? = nil, excludingContextID: String? = nil
    ) throws -> Prediction {
        let clock = ContinuousClock()
        let start = clock.now
        let r = resolution
        if let context, context.resolution != r {
            throw PredictorError.contextResolutionMismatch(network: r, context: context.resolution)
        }
        let (input, geometry) = try targetInput(image, interactions: interactions, previousLogits: previousLogits)
        var chosen: [ContextSet.Entry] = []
        if let context, context.count > 0 {
            let thumbnail = ContextSet.thumbnail(Array(input[0..<(r * r)]), resolution: r)
            chosen = try context.select(forThumbnail: thumbnail, limit: options.contextLimit,
                                        excluding: excludingContextID)
        }
        let useInteractive = chosen.isEmpty && interactiveNetwork != nil
        let runner = useInteractive ? interactiveNetwork! : network
        let prepared = clock.now

        let logits = try runner.logits(target: input, context: chosen.map(\.pair))
        guard logits.count == r * r else {
            throw PredictorError.networkOutputSizeMismatch(expected: r * r, got: logits.count)
        }
        let ran = clock.now

        let resized = geometry.fromNetwork(logits, antialiasAbove: options.antialiasAbove)
        let probabilities = resized.map(sigmoid)
        let mask = BinaryMask(width: image.width, height: image.height, pixels: resized.map { $0 > 0 })
        let done = clock.now
        return Prediction(
            width: image.width, height: image.height, probabilities: probabilities, mask: mask,
            lowResolutionLogits: logits, contextIDs: chosen.map(\.id), usedInteractiveNetwork: useInteractive,
            timing: PredictionTiming(preprocessing: prepared - start, network: ran - prepared,
                                     postprocessing: done - ran))
    }
}

/// Logistic function, written to stay finite for large |x|.
@inline(__always)
func sigmoid(_ x: Float) -> Float {
    x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
}
