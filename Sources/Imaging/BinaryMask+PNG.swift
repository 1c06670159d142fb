import PNGCodec

extension BinaryMask {
    /// A mask from a decoded PNG of any kind: a pixel is foreground when its luminance is, by
    /// `isForeground` (at least half intensity).
    ///
    /// ```swift
    /// let mask = BinaryMask(try PNGImage(contentsOfFile: "masks/cell/a.png"))
    /// ```
    public init(_ picture: PNGImage) {
        self.init(width: picture.width, height: picture.height, levels: picture.luminance())
    }

    /// Decodes a mask PNG of any kind within `limits` (see `init(_:)` for the threshold).
    ///
    /// ```swift
    /// let mask = try BinaryMask(png: bytes)
    /// ```
    public init(png: [UInt8], limits: PNGLimits = .default) throws {
        self.init(try PNGImage(decoding: png, limits: limits))
    }

    /// Reads and decodes a mask PNG file.
    public init(contentsOfFile path: String, limits: PNGLimits = .default) throws {
        self.init(try PNGImage(contentsOfFile: path, limits: limits))
    }

    /// 8-bit grey PNG, 255 for foreground and 0 for background (how projects store masks).
    ///
    /// ```swift
    /// try FileSystem.writeAtomically(try mask.pngData(), to: path)
    /// ```
    public func pngData() throws -> [UInt8] {
        try PNGImage.maskPNG(pixels, width: width, height: height)
    }
}
