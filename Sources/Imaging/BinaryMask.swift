/// A binary segmentation mask at an image's own size, row-major (`true` = foreground): what a
/// project stores as an accepted mask, what a prediction is thresholded to, what metrics compare.
///
/// ```swift
/// let mask = BinaryMask(width: 3, height: 2, pixels: [false, true, true, false, true, false])
/// mask[1, 0]                // true: x = 1, y = 0
/// mask.foregroundCount      // 3
/// let soft = BinaryMask(width: 2, height: 1, levels: [0.5, 0.49])   // [true, false]
/// ```
public struct BinaryMask: Sendable, Equatable, Hashable {
    public let width: Int
    public let height: Int
    public var pixels: [Bool]

    public init(width: Int, height: Int, pixels: [Bool]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height,
                     "mask of \(pixels.count) pixels does not fill \(width) x \(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An all-background mask.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [Bool](repeating: false, count: width * height))
    }

    /// A mask from levels in 0...1 (probabilities, grey levels of a mask PNG, a resized mask):
    /// each pixel is foreground by `isForeground`.
    public init(width: Int, height: Int, levels: [Float]) {
        self.init(width: width, height: height, pixels: levels.map(Self.isForeground))
    }

    public subscript(x: Int, y: Int) -> Bool {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    public var foregroundCount: Int { pixels.reduce(0) { $1 ? $0 + 1 : $0 } }

    public var isEmpty: Bool { !pixels.contains(true) }

    /// Foreground becomes background and the reverse.
    public var inverted: BinaryMask { BinaryMask(width: width, height: height, pixels: pixels.map { !$0 }) }

    /// Pixels that are foreground in exactly one of the two masks.
    public func symmetricDifference(_ other: BinaryMask) -> BinaryMask {
        precondition(width == other.width && height == other.height, "mask size mismatch")
        return BinaryMask(width: width, height: height, pixels: zip(pixels, other.pixels).map { $0 != $1 })
    }
}

// MARK: - The foreground threshold

extension BinaryMask {
    /// The level from which a pixel is foreground: one half.
    public static let foregroundThreshold: Float = 0.5

    /// Whether a level in 0...1 counts as foreground: at least one half, so exactly 0.5 IS
    /// foreground. That is what context masks always did: a 0/1 mask resized bilinearly has
    /// pixels of exactly 0.5 on its edges, and they stay foreground. Mask PNGs follow the same
    /// rule; the app writes them as 0/255, so only a hand-made colour PNG can have a luminance
    /// of exactly one half (96 of the 2^24 8-bit RGB colours do; no grey level does).
    ///
    /// ```swift
    /// BinaryMask.isForeground(0.5)       // true
    /// BinaryMask.isForeground(0.4999)    // false
    /// ```
    @inlinable
    public static func isForeground(_ level: Float) -> Bool { level >= foregroundThreshold }
}
