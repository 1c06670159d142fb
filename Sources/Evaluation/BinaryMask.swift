/// A binary mask at an image's size, row-major (`true` = foreground).
///
/// ```swift
/// let mask = BinaryMask(width: 3, height: 2, pixels: [false, true, true, false, true, false])
/// mask[1, 0]        // true: x = 1, y = 0
/// mask.count        // 3 foreground pixels
/// ```
public struct BinaryMask: Sendable, Equatable, Hashable {
    public let width: Int
    public let height: Int
    public var pixels: [Bool]

    public init(width: Int, height: Int, pixels: [Bool]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height, "mask size mismatch")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An all-background mask.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [Bool](repeating: false, count: width * height))
    }

    /// A mask from grey levels: at least `threshold` is foreground (masks are stored as 0/255).
    public init(width: Int, height: Int, levels: [Float], threshold: Float = 0.5) {
        self.init(width: width, height: height, pixels: levels.map { $0 >= threshold })
    }

    public subscript(x: Int, y: Int) -> Bool {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// Number of foreground pixels.
    public var count: Int { pixels.reduce(0) { $1 ? $0 + 1 : $0 } }

    public var isEmpty: Bool { !pixels.contains(true) }

    /// Foreground becomes background and the reverse.
    public var inverted: BinaryMask { BinaryMask(width: width, height: height, pixels: pixels.map { !$0 }) }

    /// Pixels that are foreground in exactly one of the two masks.
    public func symmetricDifference(_ other: BinaryMask) -> BinaryMask {
        precondition(width == other.width && height == other.height, "mask size mismatch")
        return BinaryMask(width: width, height: height, pixels: zip(pixels, other.pixels).map { $0 != $1 })
    }
}

/// A pixel position (column `x`, row `y`).
public struct PixelPosition: Sendable, Equatable, Hashable, Codable {
    public var x: Int
    public var y: Int

    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}
