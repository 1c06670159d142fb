/// Why an image could not be built from the values given; each case says what to fix.
///
/// ```swift
/// try GreyImage(width: 3, height: 2, pixels: [0, 1])   // throws .sizeMismatch(width: 3, height: 2, pixelCount: 2)
/// ```
public enum ImagingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// An image whose pixel count is not width x height, or with a zero side.
    case sizeMismatch(width: Int, height: Int, pixelCount: Int)
    /// An intensity that is NaN or infinite.
    case nonFiniteIntensity(index: Int)
    /// A windowed intensity outside 0...1.
    case intensityOutsideUnitRange(index: Int)

    public var description: String {
        switch self {
        case let .sizeMismatch(width, height, pixelCount):
            return "image of \(width)x\(height) has \(pixelCount) pixels: pass width x height "
                + "intensities, row-major, with both sides at least 1"
        case let .intensityOutsideUnitRange(index):
            return "windowed pixel \(index) is outside 0...1: clamp the window's output before building the image"
        case let .nonFiniteIntensity(index):
            return "pixel \(index) is NaN or infinite: replace non-finite intensities before predicting"
        }
    }
}
