import PNGCodec

/// An RGB colour, 8 bits per channel.
public struct RGB: Sendable, Equatable, Hashable {
    public var r: UInt8, g: UInt8, b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)
    public static let grey = RGB(200, 200, 200)

    /// This colour mixed with white: `amount` 0 keeps it, 1 gives white (confidence bands).
    public func lightened(_ amount: Double) -> RGB {
        func mix(_ c: UInt8) -> UInt8 { UInt8((Double(c) + (255 - Double(c)) * amount).rounded()) }
        return RGB(mix(r), mix(g), mix(b))
    }
}

/// A white RGB image to draw plots on, written as PNG with PNGCodec. Coordinates are pixels,
/// x to the right and y down; drawing outside is clipped.
///
/// ```swift
/// var canvas = RasterCanvas(width: 200, height: 100)
/// canvas.line(from: (10, 90), to: (190, 10), color: RGB(200, 0, 0), thickness: 2)
/// canvas.text("NOI 4.5", x: 12, y: 12, color: .black)
/// let png = try canvas.pngData()
/// ```
public struct RasterCanvas: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major RGB samples.
    public private(set) var samples: [UInt8]

    public init(width: Int, height: Int, background: RGB = .white) {
        precondition(width > 0 && height > 0)
        self.width = width
        self.height = height
        samples = [UInt8](repeating: 0, count: width * height * 3)
        fill(x: 0, y: 0, width: width, height: height, color: background)
    }

    public func pixel(x: Int, y: Int) -> RGB {
        let i = (y * width + x) * 3
        return RGB(samples[i], samples[i + 1], samples[i + 2])
    }

    public mutating func set(x: Int, y: Int, _ color: RGB) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        samples[i] = color.r
        samples[i + 1] = color.g
        samples[i + 2] = color.b
    }

    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: RGB) {
        let x0 = max(0, x), x1 = min(width, x + w), y0 = max(0, y), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 {
            for xx in x0..<x1 { set(x: xx, y: yy, color) }
        }
    }

    /// A straight line of square pen `thickness` (Bresenham over the centre line).
    public mutating func line(from a: (Double, Double), to b: (Double, Double), color: RGB, thickness: Int = 1) {
        var x0 = Int(a.0.rounded()), y0 = Int(a.1.rounded())
        let x1 = Int(b.0.rounded()), y1 = Int(b.1.rounded())
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var error = dx + dy
        let half = (thickness - 1) / 2
        while true {
            fill(x: x0 - half, y: y0 - half, width: thickness, height: thickness, color: color)
            if x0 == x1 && y0 == y1 { break }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x0 += sx }
            if e2 <= dx { error += dx; y0 += sy }
        }
    }

    /// A filled disc of `radius` pixels centred on `center` (data point markers).
    public mutating func disc(center: (Double, Double), radius: Int, color: RGB) {
        let cx = Int(center.0.rounded()), cy = Int(center.1.rounded())
        for dy in -radius...radius {
            for dx in -radius...radius where dx * dx + dy * dy <= radius * radius + radius / 2 {
                set(x: cx + dx, y: cy + dy, color)
            }
        }
    }

    /// Fills between two curves given at increasing x: for every pixel column between the
    /// first and last point, from the interpolated `upper` to `lower` y (a confidence band).
    public mutating func band(xs: [Double], upper: [Double], lower: [Double], color: RGB) {
        precondition(xs.count == upper.count && xs.count == lower.count)
        guard xs.count >= 2 else { return }
        for i in 0..<(xs.count - 1) {
            let x0 = xs[i], x1 = xs[i + 1]
            guard x1 > x0 else { continue }
            for column in Int(x0.rounded())...Int(x1.rounded()) {
                let t = min(1, max(0, (Double(column) - x0) / (x1 - x0)))
                let top = upper[i] + (upper[i + 1] - upper[i]) * t
                let bottom = lower[i] + (lower[i + 1] - lower[i]) * t
                let y0 = Int(min(top, bottom).rounded()), y1 = Int(max(top, bottom).rounded())
                fill(x: column, y: y0, width: 1, height: y1 - y0 + 1, color: color)
            }
        }
    }

    /// Draws `text` with its top-left corner at (x, y); each font pixel becomes `scale` x `scale`.
    /// Characters the font lacks are drawn as blanks.
    public mutating func text(_ text: String, x: Int, y: Int, color: RGB, scale: Int = 1) {
        var cursor = x
        for character in text {
            if let rows = BitmapFont.glyph(character) {
                for (row, bits) in rows.enumerated() {
                    for (column, bit) in bits.enumerated() where bit == "#" {
                        fill(x: cursor + column * scale, y: y + row * scale, width: scale, height: scale, color: color)
                    }
                }
            }
            cursor += BitmapFont.advance * scale
        }
    }

    /// Like `text`, rotated a quarter turn counter-clockwise (reads bottom to top), with its
    /// bottom-left corner at (x, y): for vertical axis titles.
    public mutating func verticalText(_ text: String, x: Int, y: Int, color: RGB, scale: Int = 1) {
        var cursor = y
        for character in text {
            if let rows = BitmapFont.glyph(character) {
                for (row, bits) in rows.enumerated() {
                    for (column, bit) in bits.enumerated() where bit == "#" {
                        fill(x: x + row * scale, y: cursor - (column + 1) * scale, width: scale, height: scale, color: color)
                    }
                }
            }
            cursor -= BitmapFont.advance * scale
        }
    }

    /// Pixel width of `text` drawn at `scale`.
    public static func textWidth(_ text: String, scale: Int = 1) -> Int { BitmapFont.width(of: text) * scale }

    /// The canvas as an 8-bit RGB PNG.
    public func pngData() throws -> [UInt8] {
        try PNGImage.encode(samples: samples.map { UInt16($0) }, width: width, height: height,
                            colorType: .rgb, bitDepth: 8)
    }
}
