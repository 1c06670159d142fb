// Interactions -> the three prompt channels of the network input (Docs/network.md §4, the authors'
// ScribblePrompt encoding): box mask, positive clicks+scribbles, negative clicks+scribbles.

/// The prompt channels at the network's resolution.
///
/// Shapes: `box`, `positive`, `negative` are each [R, R], row-major, values in 0...1.
public struct InteractionChannels: Sendable, Equatable {
    public var box: [Float]
    public var positive: [Float]
    public var negative: [Float]

    public init(resolution: Int) {
        let zeros = [Float](repeating: 0, count: resolution * resolution)
        box = zeros
        positive = zeros
        negative = zeros
    }
}

/// Encodes interactions given in original pixel coordinates onto the network grid.
///
/// - Click: the one network pixel containing the point is 1.
/// - Scribble: the polyline rasterised — a connected 1-pixel line at the network resolution when
///   `width` is nil or maps to at most 1 network pixel, else every network pixel whose centre lies
///   within width/2 of the stroke.
/// - Clicks and scribbles add and are clamped to 0...1 (each stroke and click is binary, so the
///   channel is their union).
/// - Box: 1 on every network pixel whose centre lies inside the box's pixel area (at least the
///   pixel holding the box centre, so a tiny box never vanishes); several boxes are united.
///
/// Throws `PredictorError.coordinateOutOfRange` for any point off the image and
/// `PredictorError.invalidScribble` for an empty stroke or a bad width.
///
/// ```swift
/// let g = SquareGeometry(width: 256, height: 256, resolution: 128)
/// let channels = try encodeInteractions(Interactions(positiveClicks: [.init(x: 10, y: 20)]), geometry: g)
/// channels.positive[10 * 128 + 5]   // 1
/// ```
public func encodeInteractions(_ interactions: Interactions, geometry: SquareGeometry) throws -> InteractionChannels {
    try interactions.validate(imageWidth: geometry.width, height: geometry.height)
    let r = geometry.resolution
    var channels = InteractionChannels(resolution: r)
    for click in interactions.positiveClicks {
        let (c, row) = geometry.networkPixel(click)
        channels.positive[row * r + c] = 1
    }
    for click in interactions.negativeClicks {
        let (c, row) = geometry.networkPixel(click)
        channels.negative[row * r + c] = 1
    }
    for scribble in interactions.positiveScribbles {
        rasteriseScribble(scribble, geometry: geometry, into: &channels.positive)
    }
    for scribble in interactions.negativeScribbles {
        rasteriseScribble(scribble, geometry: geometry, into: &channels.negative)
    }
    for box in interactions.boxes {
        let columns = boxSpan(box.corner0.x, box.corner1.x, offset: geometry.offsetX, geometry: geometry)
        let rows = boxSpan(box.corner0.y, box.corner1.y, offset: geometry.offsetY, geometry: geometry)
        for row in rows {
            for c in columns { channels.box[row * r + c] = 1 }
        }
    }
    return channels
}

/// The network pixels (one axis) whose centres lie inside the pixel area spanned by two corner
/// coordinates, never empty.
func boxSpan(_ a: Double, _ b: Double, offset: Int, geometry: SquareGeometry) -> ClosedRange<Int> {
    // Corner pixels, then the area they cover in "edge" units (0 = the square's first edge).
    let first = (min(a, b) + 0.5).rounded(.down)
    let last = (max(a, b) + 0.5).rounded(.down)
    let lowEdge = (first + Double(offset)) * geometry.scale
    let highEdge = (last + 1 + Double(offset)) * geometry.scale
    let r = geometry.resolution
    // Pixel c has its centre at c + 0.5 in edge units.
    let lo = max(Int((lowEdge - 0.5).rounded(.up)), 0)
    let hi = min(Int((highEdge - 0.5).rounded(.down)), r - 1)
    if lo <= hi { return lo...hi }
    let middle = SquareGeometry.pixelIndex((lowEdge + highEdge) / 2 - 0.5, count: r)
    return middle...middle
}

/// Sets to 1 the network pixels covered by one stroke (see `encodeInteractions`), which
/// `Interactions.validate` has found to have points, all on the image, and a valid width.
func rasteriseScribble(_ scribble: Scribble, geometry: SquareGeometry, into channel: inout [Float]) {
    let r = geometry.resolution
    let vertices = scribble.points.map { geometry.networkCoordinate($0) }
    let networkWidth = (scribble.width ?? 0) * geometry.scale

    if networkWidth <= 1 {
        // Thin: walk each segment in steps of at most half a pixel; consecutive samples then
        // land in the same or 8-adjacent pixels, so the line is connected.
        for i in 0..<vertices.count {
            let (u0, v0) = vertices[i]
            let (u1, v1) = i + 1 < vertices.count ? vertices[i + 1] : vertices[i]
            let steps = max(1, Int((2 * max(abs(u1 - u0), abs(v1 - v0))).rounded(.up)))
            for s in 0...steps {
                let t = Double(s) / Double(steps)
                let c = SquareGeometry.pixelIndex(u0 + t * (u1 - u0), count: r)
                let row = SquareGeometry.pixelIndex(v0 + t * (v1 - v0), count: r)
                channel[row * r + c] = 1
            }
        }
        return
    }
    // Thick: pixel centres within half the width of any segment (a swept disc).
    let radius = networkWidth / 2
    for i in 0..<vertices.count {
        let (u0, v0) = vertices[i]
        let (u1, v1) = i + 1 < vertices.count ? vertices[i + 1] : vertices[i]
        let cLo = max(Int((min(u0, u1) - radius).rounded(.down)), 0)
        let cHi = min(Int((max(u0, u1) + radius).rounded(.up)), r - 1)
        let rLo = max(Int((min(v0, v1) - radius).rounded(.down)), 0)
        let rHi = min(Int((max(v0, v1) + radius).rounded(.up)), r - 1)
        guard cLo <= cHi, rLo <= rHi else { continue }
        let du = u1 - u0, dv = v1 - v0
        let lengthSquared = du * du + dv * dv
        for row in rLo...rHi {
            for c in cLo...cHi {
                let pu = Double(c) - u0, pv = Double(row) - v0
                let t = lengthSquared > 0 ? min(max((pu * du + pv * dv) / lengthSquared, 0), 1) : 0
                let eu = pu - t * du, ev = pv - t * dv
                if eu * eu + ev * ev <= radius * radius { channel[row * r + c] = 1 }
            }
        }
    }
}
