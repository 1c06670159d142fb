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
    init(checked width: Int, _ height: Int, _ pixels: [Float]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public subscript(x: Int, y: Int) -> Float { pixels[y * width + x] }

    /// Intensities rescaled to 0...1 by this image's own minimum and maximum; a constant image
    /// becomes all zeros. Per-image min-max is what the authors' data pipeline does ("rescale
    /// image intensities to [0,1]"), and it makes 8-bit, 16-bit and float images look alike.
    public func normalisedPixels() -> [Float] {
        guard let low = pixels.min(), let high = pixels.max(), high > low else {
            return [Float](repeating: 0, count: pixels.count)
        }
        let scale = 1 / (high - low)
        return pixels.map { min(max(($0 - low) * scale, 0), 1) }
    }
}
