import PNGCodec

/// A binary segmentation mask at an image's own size, row-major.
///
/// ```swift
/// let mask = try BinaryMask(png: bytes)        // any PNG: pixels above half intensity are foreground
/// let file = try mask.pngData()                // 8-bit grey, 0/255
/// ```
public struct BinaryMask: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var values: [Bool]

    public init(width: Int, height: Int, values: [Bool]) {
        precondition(values.count == width * height, "mask values do not fill \(width) x \(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// Reads a mask PNG of any kind; foreground is luminance above one half.
    public init(png: [UInt8], limits: PNGLimits = .default) throws {
        let image = try PNGImage(decoding: png, limits: limits)
        self.init(width: image.width, height: image.height, values: image.luminance().map { $0 > 0.5 })
    }

    /// 8-bit grey PNG, 255 for foreground and 0 for background.
    public func pngData() throws -> [UInt8] {
        try PNGImage.maskPNG(values, width: width, height: height)
    }

    public var foregroundCount: Int { values.reduce(0) { $0 + ($1 ? 1 : 0) } }
}
