import Foundation

/// A decoded PNG: interleaved samples, one `UInt16` each, rows top to bottom.
///
/// Palettes are expanded to RGB(A) and grey below 8 bits is scaled to 8 bits, so every image is
/// 8- or 16-bit grey, grey+alpha, RGB or RGBA.
///
/// ```swift
/// let image = try PNGImage(contentsOfFile: "scan.png")
/// let grey = image.luminance()          // [Float] in 0...1, what the network sees
/// let mask = PNGImage(width: 4, height: 4, channels: 1, bitDepth: 8, samples: .init(repeating: 255, count: 16))
/// try mask.pngData().write(to: url)
/// ```
public struct PNGImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
    public let channels: Int
    /// 8 or 16.
    public let bitDepth: Int
    public var samples: [UInt16]

    /// Builds an image from samples; the count must be width x height x channels.
    public init(width: Int, height: Int, channels: Int, bitDepth: Int, samples: [UInt16]) {
        precondition((1...4).contains(channels) && (bitDepth == 8 || bitDepth == 16))
        precondition(samples.count == width * height * channels, "sample count does not match the size")
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.samples = samples
    }

    /// Reads the header only: size and layout, without decoding pixels.
    public static func header(of bytes: [UInt8]) throws -> PNGHeader {
        try bytes.withUnsafeBytes { try LibPNG.readHeader($0) }
    }

    /// Decodes PNG bytes, refusing images above `limits` before allocating their pixels.
    public init(decoding bytes: [UInt8], limits: PNGLimits = .default) throws {
        guard bytes.count <= limits.maxFileBytes else {
            throw PNGError.fileTooLarge(bytes: bytes.count, maxBytes: limits.maxFileBytes)
        }
        let header = try Self.header(of: bytes)
        let (pixels, overflow) = header.width.multipliedReportingOverflow(by: header.height)
        guard !overflow, pixels <= limits.maxPixels else {
            throw PNGError.tooLarge(width: header.width, height: header.height, maxPixels: limits.maxPixels)
        }
        // DEFLATE expands at most 1032:1, so a file of n bytes cannot hold more than ~1032·n bytes
        // of pixel rows. A tiny file declaring a large image is refused here, before the buffers
        // below are allocated and zeroed (otherwise ~100 bytes could cost hundreds of MB).
        let storedRowBytes = (header.width * header.storedColorType.storedChannels * header.storedBitDepth + 7) / 8
        let (storedBytes, storedOverflow) = storedRowBytes.multipliedReportingOverflow(by: header.height)
        guard !storedOverflow, storedBytes <= Self.maxInflatedBytes(fromFileOf: bytes.count) else {
            throw PNGError.truncated
        }
        let sampleCount = pixels * header.channels
        var samples: [UInt16]
        if header.bitDepth == 16 {
            samples = [UInt16](repeating: 0, count: sampleCount)
            try bytes.withUnsafeBytes { input in
                try samples.withUnsafeMutableBytes { try LibPNG.decode(input, into: $0) }
            }
        } else {
            var raw = [UInt8](repeating: 0, count: sampleCount)
            try bytes.withUnsafeBytes { input in
                try raw.withUnsafeMutableBytes { try LibPNG.decode(input, into: $0) }
            }
            samples = raw.map { UInt16($0) }
        }
        self.init(width: header.width, height: header.height, channels: header.channels,
                  bitDepth: header.bitDepth, samples: samples)
    }

    /// The most pixel-row bytes a PNG file of `fileBytes` bytes can hold: DEFLATE's 1032:1 limit
    /// plus slack for tiny files.
    static func maxInflatedBytes(fromFileOf fileBytes: Int) -> Int {
        let (product, overflow) = fileBytes.multipliedReportingOverflow(by: 1032)
        return overflow ? Int.max : product + 4096
    }

    /// Reads and decodes a PNG file.
    public init(contentsOfFile path: String, limits: PNGLimits = .default) throws {
        try self.init(decoding: try Self.readFile(path, maxBytes: limits.maxFileBytes), limits: limits)
    }

    /// Reads a file's bytes, refusing files above `maxBytes` without reading them.
    public static func readFile(_ path: String, maxBytes: Int) throws -> [UInt8] {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw PNGError.io(path: path, reason: "no such file or not readable")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maxBytes else { throw PNGError.fileTooLarge(bytes: size, maxBytes: maxBytes) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PNGError.io(path: path, reason: "cannot read the file")
        }
        return [UInt8](data)
    }

    /// The largest sample value at this bit depth.
    public var maxValue: Float { bitDepth == 16 ? 65535 : 255 }

    /// Grey intensities in 0...1, one per pixel: colour becomes luminance
    /// (0.299 R + 0.587 G + 0.114 B, as the training data was made) and alpha is ignored.
    public func luminance() -> [Float] {
        let scale = 1 / maxValue
        let count = width * height
        var out = [Float](repeating: 0, count: count)
        samples.withUnsafeBufferPointer { s in
            switch channels {
            case 1, 2:
                for i in 0..<count { out[i] = Float(s[i * channels]) * scale }
            default:
                for i in 0..<count {
                    let r = Float(s[i * channels]), g = Float(s[i * channels + 1]), b = Float(s[i * channels + 2])
                    out[i] = (0.299 * r + 0.587 * g + 0.114 * b) * scale
                }
            }
        }
        return out
    }

    /// Encodes the image as PNG at its own bit depth and channel layout.
    public func pngData() throws -> [UInt8] {
        let colorType: PNGColorType = [.grey, .greyAlpha, .rgb, .rgba][channels - 1]
        return try LibPNG.encode(samples: samples, width: width, height: height,
                                 colorType: colorType, bitDepth: bitDepth, palette: [])
    }

    /// Encodes raw samples with any PNG colour type and bit depth (1, 2, 4, 8, 16); palette images
    /// take indices as samples and `palette` as RGB triplets. Used to write masks of 0/255 and
    /// fixtures of every PNG flavour.
    public static func encode(
        samples: [UInt16], width: Int, height: Int, colorType: PNGColorType, bitDepth: Int,
        palette: [UInt8] = []
    ) throws -> [UInt8] {
        try LibPNG.encode(samples: samples, width: width, height: height,
                          colorType: colorType, bitDepth: bitDepth, palette: palette)
    }

    /// An 8-bit grey mask PNG: 255 where `mask` is true, 0 elsewhere.
    public static func maskPNG(_ mask: [Bool], width: Int, height: Int) throws -> [UInt8] {
        try encode(samples: mask.map { $0 ? 255 : 0 }, width: width, height: height,
                   colorType: .grey, bitDepth: 8)
    }
}
