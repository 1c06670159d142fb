import Imaging
import Inference

/// The two interaction protocols of the paper's evaluation (§5.3).
public enum PromptProtocol: String, Sendable, Codable, CaseIterable {
    /// One click per step at the center of a region.
    case clicks
    /// One scribble per step along a region's centerline (two at the first step).
    case scribbles

    /// The paper's budget: 20 clicks or 10 scribble steps.
    public var defaultStepLimit: Int { self == .clicks ? 20 : 10 }
}

/// The region a correction targets: the largest connected component of the error, and whether
/// it is missed foreground (`positive` correction) or wrongly claimed background (`negative`).
public struct ErrorRegion: Sendable, Equatable {
    public var region: BinaryMask
    public var positive: Bool

    /// The largest component among the false negatives and the false positives of `prediction`
    /// against `truth` (ties go to the false negatives); nil when the prediction is exact.
    public init?(truth: BinaryMask, prediction: BinaryMask) {
        precondition(truth.width == prediction.width && truth.height == prediction.height, "mask size mismatch")
        let missed = BinaryMask(width: truth.width, height: truth.height,
                                pixels: zip(truth.pixels, prediction.pixels).map { $0 && !$1 })
        let extra = BinaryMask(width: truth.width, height: truth.height,
                               pixels: zip(truth.pixels, prediction.pixels).map { !$0 && $1 })
        let missedParts = ConnectedComponents(missed), extraParts = ConnectedComponents(extra)
        let missedSize = missedParts.largestLabel.map { missedParts.sizes[$0 - 1] } ?? 0
        let extraSize = extraParts.largestLabel.map { extraParts.sizes[$0 - 1] } ?? 0
        if missedSize == 0 && extraSize == 0 { return nil }
        if missedSize >= extraSize {
            region = missedParts.largest!
            positive = true
        } else {
            region = extraParts.largest!
            positive = false
        }
    }
}

/// A simulated user (Docs/network.md §5), deterministic: the same masks give the same interactions.
///
/// First step (no prediction yet): clicks — one positive click at the center of the label's
/// largest component; scribbles — one positive scribble along the centerline of that component
/// and one negative along the centerline of the largest background component. Later steps: one
/// click or scribble in the largest error component, positive for missed foreground.
///
/// ```swift
/// let user = SimulatedUser(protocol: .clicks)
/// var interactions = user.step(truth: truth, prediction: nil)!            // initial click
/// interactions.append(user.step(truth: truth, prediction: predicted)!)    // a correction
/// ```
public struct SimulatedUser: Sendable {
    public let promptProtocol: PromptProtocol

    public init(protocol promptProtocol: PromptProtocol) {
        self.promptProtocol = promptProtocol
    }

    /// The interactions of one step, or nil when there is nothing to add (the prediction is exact
    /// or the label is empty).
    public func step(truth: BinaryMask, prediction: BinaryMask?) -> Interactions? {
        guard let prediction else { return initialStep(truth: truth) }
        guard let error = ErrorRegion(truth: truth, prediction: prediction) else { return nil }
        switch promptProtocol {
        case .clicks:
            guard let center = DistanceTransform.deepestPixel(of: error.region) else { return nil }
            let click = ImagePoint(pixel: center)
            return error.positive ? Interactions(positiveClicks: [click]) : Interactions(negativeClicks: [click])
        case .scribbles:
            let scribble = Self.scribble(along: error.region)
            return error.positive ? Interactions(positiveScribbles: [scribble])
                : Interactions(negativeScribbles: [scribble])
        }
    }

    private func initialStep(truth: BinaryMask) -> Interactions? {
        guard let object = ConnectedComponents(truth).largest else { return nil }
        switch promptProtocol {
        case .clicks:
            return DistanceTransform.deepestPixel(of: object).map { Interactions(positiveClicks: [ImagePoint(pixel: $0)]) }
        case .scribbles:
            var interactions = Interactions(positiveScribbles: [Self.scribble(along: object)])
            if let background = ConnectedComponents(truth.inverted).largest {
                interactions.negativeScribbles.append(Self.scribble(along: background))
            }
            return interactions
        }
    }

    /// A scribble through the centerline pixels of `region` (thinnest width).
    static func scribble(along region: BinaryMask) -> Scribble {
        Scribble(points: Skeleton.centerline(of: region).map(ImagePoint.init(pixel:)))
    }
}

extension ImagePoint {
    /// The centre of pixel `pixel`.
    public init(pixel: PixelPosition) {
        self.init(x: Double(pixel.x), y: Double(pixel.y))
    }
}

extension Interactions {
    /// Adds every interaction of `other` (a later step) to these.
    public mutating func append(_ other: Interactions) {
        positiveClicks += other.positiveClicks
        negativeClicks += other.negativeClicks
        boxes += other.boxes
        positiveScribbles += other.positiveScribbles
        negativeScribbles += other.negativeScribbles
    }

    /// Clicks plus scribbles plus boxes.
    public var interactionCount: Int {
        positiveClicks.count + negativeClicks.count + boxes.count + positiveScribbles.count + negativeScribbles.count
    }
}
