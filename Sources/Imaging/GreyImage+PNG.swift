import PNGCodec

extension GreyImage {
    /// The luminance of a decoded PNG in 0...1 (colour weighted as the training data was made,
    /// alpha ignored). Always valid, so it does not throw.
    ///
    /// ```swift
    /// let image = GreyImage(try project.loadImage("scan-07"))
    /// ```
    public init(_ picture: PNGImage) {
        self.init(checked: picture.width, picture.height, picture.luminance())
    }

    /// Decodes PNG bytes of any kind within `limits`.
    public init(png: [UInt8], limits: PNGLimits = .default) throws {
        self.init(try PNGImage(decoding: png, limits: limits))
    }

    /// Reads and decodes a PNG file.
    ///
    /// ```swift
    /// let image = try GreyImage(contentsOfFile: "scan.png")
    /// ```
    public init(contentsOfFile path: String, limits: PNGLimits = .default) throws {
        self.init(try PNGImage(contentsOfFile: path, limits: limits))
    }
}
