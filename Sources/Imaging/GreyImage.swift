/// A single-channel image at its original size: row-major intensities in any range (8-bit,
/// 16-bit, Hounsfield units...). The predictor rescales them itself (min-max per image).
///
/// ```swift
/// let image = try GreyImage(width: 3, height: 2, pixels: [0, 10, 20, 30, 40, 50])
/// image[2, 1]   // 50: x = 2, y = 1
/// ```
public struct GreyImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let pixels: [Float]
    /// The pixels are already in 0...1 as the network should see them (a label's intensity
    /// window was applied, `init(width:height:windowedPixels:)`): `normalisedPixels()` keeps
    /// them as they are instead of stretching each image by its own minimum and maximum.
    public let windowed: Bool

    /// Checks that `pixels` holds width x height finite values.
    public init(width: Int, height: Int, pixels: [Float]) throws {
        guard width > 0, height > 0, width.multipliedReportingOverflow(by: height) == (pixels.count, false)
        else { throw ImagingError.sizeMismatch(width: width, height: height, pixelCount: pixels.count) }
        if let bad = pixels.firstIndex(where: { !$0.isFinite }) {
            throw ImagingError.nonFiniteIntensity(index: bad)
        }
        self.init(checked: width, height, pixels)
    }

    /// For callers that know the size matches and every value is finite (a decoded PNG).
    init(checked width: Int, _ height: Int, _ pixels: [Float], windowed: Bool = false) {
        self.width = width
        self.height = height
        self.pixels = pixels
        self.windowed = windowed
    }

    /// An image whose intensities a window already mapped to 0...1: the network sees them as
    /// they are (no per-image min-max), so it sees what the page shows.
    ///
    /// ```swift
    /// let image = try GreyImage(width: 2, height: 1, windowedPixels: [0.25, 1])
    /// image.normalisedPixels()   // [0.25, 1]
    /// ```
    public init(width: Int, height: Int, windowedPixels pixels: [Float]) throws {
        let plain = try GreyImage(width: width, height: height, pixels: pixels)
        if let bad = pixels.firstIndex(where: { $0 < 0 || $0 > 1 }) {
            throw ImagingError.intensityOutsideUnitRange(index: bad)
        }
        self.init(checked: plain.width, plain.height, plain.pixels, windowed: true)
    }

    public subscript(x: Int, y: Int) -> Float { pixels[y * width + x] }

    /// Intensities rescaled to 0...1 by this image's own minimum and maximum; a constant image
    /// becomes all zeros. Per-image min-max is what the authors' data pipeline does ("rescale
    /// image intensities to [0,1]"), and it makes 8-bit, 16-bit and float images look alike.
    /// A windowed image (`windowed`) is returned as it is.
    public func normalisedPixels() -> [Float] {
        if windowed { return pixels }
        guard let low = pixels.min(), let high = pixels.max(), high > low else {
            return [Float](repeating: 0, count: pixels.count)
        }
        let scale = 1 / (high - low)
        return pixels.map { min(max(($0 - low) * scale, 0), 1) }
    }
}
