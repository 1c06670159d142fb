/// The map between an image's original pixels and the network's R x R grid: the image is
/// zero-padded to a centred square of side max(width, height) — the extra pixel of an odd
/// difference goes right/bottom, offset = (side - size) / 2 rounded down, as our training data
/// was made — and that square is resized to R x R.
///
/// Coordinates: original pixel (i, j) has its centre at (i, j); network pixel (c, r) likewise.
/// The map sends centres to centres the way `F.interpolate(align_corners=False)` does:
/// u = (x + 0.5 + offsetX) * R / side - 0.5.
///
/// ```swift
/// let g = SquareGeometry(width: 200, height: 100, resolution: 128)
/// g.offsetY                                   // 50
/// g.networkPixel(ImagePoint(x: 0, y: 0))      // (column: 0, row: 32)
/// ```
public struct SquareGeometry: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let resolution: Int
    public let side: Int
    public let offsetX: Int
    public let offsetY: Int

    public init(width: Int, height: Int, resolution: Int) {
        precondition(width > 0 && height > 0 && resolution > 0, "geometry needs positive sizes")
        self.width = width
        self.height = height
        self.resolution = resolution
        side = max(width, height)
        offsetX = (side - width) / 2
        offsetY = (side - height) / 2
    }

    /// Network pixels per original pixel.
    public var scale: Double { Double(resolution) / Double(side) }

    /// True when `point` lies inside one of the image's pixels.
    public func contains(_ point: ImagePoint) -> Bool {
        point.isOnImage(width: width, height: height)
    }

    /// The continuous network coordinate of an original point (pixel centres at integers).
    public func networkCoordinate(_ point: ImagePoint) -> (u: Double, v: Double) {
        ((point.x + 0.5 + Double(offsetX)) * scale - 0.5, (point.y + 0.5 + Double(offsetY)) * scale - 0.5)
    }

    /// The network pixel that contains an original point.
    public func networkPixel(_ point: ImagePoint) -> (column: Int, row: Int) {
        let (u, v) = networkCoordinate(point)
        return (Self.pixelIndex(u, count: resolution), Self.pixelIndex(v, count: resolution))
    }

    static func pixelIndex(_ coordinate: Double, count: Int) -> Int {
        min(max(Int((coordinate + 0.5).rounded(.down)), 0), count - 1)
    }

    /// Bilinear below a shrink factor of 2 (where it already reads every input pixel, and which
    /// is the 256 -> 128 resize the training images went through); the antialiased triangle
    /// filter above, where plain bilinear would skip pixels and alias textures and thin
    /// structures into noise the model never saw.
    public static func filter(shrinkFactor: Double, antialiasAbove threshold: Double) -> ResampleFilter {
        shrinkFactor > threshold ? .antialiasedBilinear : .bilinear
    }

    /// Resamples an original-size map (image or mask) onto the network grid: pad, resize.
    ///
    /// Shapes: `values` [height, width] -> [R, R].
    public func toNetwork(_ values: [Float], antialiasAbove threshold: Double = 2) -> [Float] {
        let filter = Self.filter(shrinkFactor: 1 / scale, antialiasAbove: threshold)
        let columns = ResampleAxis(virtualCount: side, outputCount: resolution, filter: filter,
                                   virtualOrigin: offsetX, storedCount: width)
        let rows = ResampleAxis(virtualCount: side, outputCount: resolution, filter: filter,
                                virtualOrigin: offsetY, storedCount: height)
        return resample2D(values, inputWidth: width, inputHeight: height, rows: rows, columns: columns)
    }

    /// Resamples a network-grid map back to the original image: resize to the square, crop.
    ///
    /// Shapes: `values` [R, R] -> [height, width].
    public func fromNetwork(_ values: [Float], antialiasAbove threshold: Double = 2) -> [Float] {
        let filter = Self.filter(shrinkFactor: scale, antialiasAbove: threshold)
        let columns = ResampleAxis(virtualCount: resolution, outputCount: side, filter: filter,
                                   outputs: offsetX..<(offsetX + width))
        let rows = ResampleAxis(virtualCount: resolution, outputCount: side, filter: filter,
                                outputs: offsetY..<(offsetY + height))
        return resample2D(values, inputWidth: resolution, inputHeight: resolution, rows: rows, columns: columns)
    }
}
