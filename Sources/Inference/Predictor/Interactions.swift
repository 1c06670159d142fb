/// A point in an image's original pixel coordinates: pixel (i, j) has its centre at x = i,
/// y = j; fractional values are allowed (a scribble drawn on a zoomed canvas). A point lies on
/// the image when it is inside some pixel: -0.5 <= x < width - 0.5, likewise y.
public struct ImagePoint: Sendable, Equatable, Hashable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A rectangle given by two opposite corner pixels, both inside the box (any order).
public struct ImageBox: Sendable, Equatable {
    public var corner0: ImagePoint
    public var corner1: ImagePoint

    public init(x0: Double, y0: Double, x1: Double, y1: Double) {
        corner0 = ImagePoint(x: x0, y: y0)
        corner1 = ImagePoint(x: x1, y: y1)
    }
}

/// A freehand stroke: a polyline through `points` (one point is a dot).
public struct Scribble: Sendable, Equatable {
    public var points: [ImagePoint]
    /// Stroke width in original pixels; nil means the thinnest line at the network's resolution
    /// (1 pixel at 128x128), which is how the models were trained.
    public var width: Double?

    public init(points: [ImagePoint], width: Double? = nil) {
        self.points = points
        self.width = width
    }
}

/// Everything the user has said about one target image, in its original pixel coordinates.
///
/// ```swift
/// var interactions = Interactions()
/// interactions.positiveClicks.append(ImagePoint(x: 120, y: 80))
/// interactions.boxes.append(ImageBox(x0: 40, y0: 30, x1: 200, y1: 150))
/// interactions.negativeScribbles.append(Scribble(points: [.init(x: 5, y: 5), .init(x: 60, y: 9)]))
/// ```
public struct Interactions: Sendable, Equatable {
    public var positiveClicks: [ImagePoint]
    public var negativeClicks: [ImagePoint]
    public var boxes: [ImageBox]
    public var positiveScribbles: [Scribble]
    public var negativeScribbles: [Scribble]

    public init(
        positiveClicks: [ImagePoint] = [], negativeClicks: [ImagePoint] = [], boxes: [ImageBox] = [],
        positiveScribbles: [Scribble] = [], negativeScribbles: [Scribble] = []
    ) {
        self.positiveClicks = positiveClicks
        self.negativeClicks = negativeClicks
        self.boxes = boxes
        self.positiveScribbles = positiveScribbles
        self.negativeScribbles = negativeScribbles
    }

    /// True when there is nothing to encode.
    public var isEmpty: Bool {
        positiveClicks.isEmpty && negativeClicks.isEmpty && boxes.isEmpty
            && positiveScribbles.isEmpty && negativeScribbles.isEmpty
    }
}
