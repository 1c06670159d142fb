import CPNGShims

// The one place where libpng is called (through the C shims that catch its longjmp errors).
// Every failure becomes a `PNGError` naming what went wrong and what to do.

/// Why a PNG could not be read or written.
public enum PNGError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The bytes do not start with the PNG signature.
    case notPNG
    /// The file ends before the image does (an interrupted copy or download).
    case truncated
    /// A chunk's checksum does not match its contents: the file is damaged.
    case badCRC(String)
    /// The header declares more pixels than allowed: refused before allocating.
    case tooLarge(width: Int, height: Int, maxPixels: Int)
    /// The file is bigger than allowed.
    case fileTooLarge(bytes: Int, maxBytes: Int)
    /// libpng rejected the data; `call` names the shim function, `message` is libpng's.
    case corrupt(call: String, message: String)
    /// The file could not be read or written.
    case io(path: String, reason: String)
    /// The arguments cannot form a PNG (programmer error surfaced as an error, e.g. bad sample count).
    case invalidArgument(String)
    case outOfMemory

    public var description: String {
        switch self {
        case .notPNG: return "not a PNG file (its first 8 bytes are not the PNG signature); convert the image to PNG first"
        case .truncated: return "the PNG file is truncated (it ends before the image data); copy or export it again"
        case .badCRC(let m): return "the PNG file is damaged: a chunk checksum does not match (\(m)); re-export it"
        case let .tooLarge(w, h, maxPixels):
            return "the PNG declares \(w) x \(h) pixels, more than the limit of \(maxPixels); downscale it or raise the limit"
        case let .fileTooLarge(bytes, maxBytes): return "the file has \(bytes) bytes, more than the limit of \(maxBytes)"
        case let .corrupt(call, m): return "\(call): the PNG data is invalid: \(m)"
        case let .io(path, reason): return "cannot access \(path): \(reason)"
        case .invalidArgument(let m): return "invalid PNG arguments: \(m)"
        case .outOfMemory: return "out of memory while processing a PNG"
        }
    }
}

/// Limits applied before anything proportional to the image is allocated.
public struct PNGLimits: Sendable {
    /// Maximum width x height. The default (2^27, e.g. 11585 x 11585) covers whole-slide tiles and
    /// large scans while refusing decompression bombs that claim billions of pixels.
    public var maxPixels: Int
    /// Maximum size of the encoded file.
    public var maxFileBytes: Int
    public init(maxPixels: Int = 1 << 27, maxFileBytes: Int = 1 << 30) {
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
    }
    public static let `default` = PNGLimits()
}

/// What a PNG file declares in its header.
public struct PNGHeader: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Bit depth as stored (1, 2, 4, 8 or 16).
    public let storedBitDepth: Int
    public let storedColorType: PNGColorType
    public let interlaced: Bool
    /// Layout after decoding: palettes expand to RGB(A), grey below 8 bits to 8 bits.
    public let channels: Int
    public let bitDepth: Int
}

/// PNG colour types.
public enum PNGColorType: Sendable, Equatable {
    case grey, greyAlpha, rgb, rgba, palette

    var cValue: Int32 {
        switch self {
        case .grey: return MVS_PNG_COLOR_GRAY
        case .greyAlpha: return MVS_PNG_COLOR_GRAY_ALPHA
        case .rgb: return MVS_PNG_COLOR_RGB
        case .rgba: return MVS_PNG_COLOR_RGBA
        case .palette: return MVS_PNG_COLOR_PALETTE
        }
    }

    init?(cValue: Int32) {
        switch cValue {
        case MVS_PNG_COLOR_GRAY: self = .grey
        case MVS_PNG_COLOR_GRAY_ALPHA: self = .greyAlpha
        case MVS_PNG_COLOR_RGB: self = .rgb
        case MVS_PNG_COLOR_RGBA: self = .rgba
        case MVS_PNG_COLOR_PALETTE: self = .palette
        default: return nil
        }
    }

    /// Samples per pixel as stored.
    public var storedChannels: Int {
        switch self {
        case .grey, .palette: return 1
        case .greyAlpha: return 2
        case .rgb: return 3
        case .rgba: return 4
        }
    }
}

enum LibPNG {
    private static let messageCapacity = 256

    private static func error(_ status: mvs_png_status, call: String, message: String) -> PNGError {
        switch status {
        case MVS_PNG_NOT_PNG: return .notPNG
        case MVS_PNG_TRUNCATED: return .truncated
        case MVS_PNG_NO_MEMORY: return .outOfMemory
        case MVS_PNG_BAD_ARGUMENT: return .invalidArgument("\(call): \(message)")
        default:
            // libpng words every checksum failure as "... CRC error".
            if message.contains("CRC") { return .badCRC(message) }
            return .corrupt(call: call, message: message)
        }
    }

    private static func withMessage<T>(_ body: (UnsafeMutablePointer<CChar>, Int) -> T) -> (T, String) {
        var buffer = [CChar](repeating: 0, count: messageCapacity)
        let result = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (result, text)
    }

    static func readHeader(_ bytes: UnsafeRawBufferPointer) throws -> PNGHeader {
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw PNGError.truncated }
        var info = mvs_png_info()
        let (status, message) = withMessage {
            mvs_png_read_info(base.assumingMemoryBound(to: UInt8.self), bytes.count, &info, $0, $1)
        }
        guard status == MVS_PNG_OK else { throw error(status, call: "mvs_png_read_info", message: message) }
        guard let colorType = PNGColorType(cValue: info.color_type) else {
            throw PNGError.corrupt(call: "mvs_png_read_info", message: "unknown colour type \(info.color_type)")
        }
        return PNGHeader(
            width: Int(info.width), height: Int(info.height),
            storedBitDepth: Int(info.bit_depth), storedColorType: colorType,
            interlaced: info.interlaced != 0,
            channels: Int(info.out_channels), bitDepth: Int(info.out_bit_depth))
    }

    /// The most memory libpng held at once while reading the header of `bytes`, whether or not
    /// that succeeded (for tests that check a file cannot make it reserve much).
    static func headerPeakAllocation(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        var info = mvs_png_info()
        _ = withMessage { mvs_png_read_info(base.assumingMemoryBound(to: UInt8.self), bytes.count, &info, $0, $1) }
        return info.libpng_peak_bytes
    }

    /// Like `headerPeakAllocation`, for a whole decode into a scratch buffer of the declared size
    /// (callers keep `bytes` small).
    static func decodePeakAllocation(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let header = try? readHeader(bytes), header.width * header.height <= 1 << 20 else {
            return headerPeakAllocation(bytes)
        }
        var scratch = [UInt8](repeating: 0, count: header.width * header.height * header.channels * header.bitDepth / 8)
        var info = mvs_png_info()
        _ = withMessage { message, size in
            scratch.withUnsafeMutableBytes { out in
                mvs_png_decode_measured(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count,
                                        out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count, &info, message, size)
            }
        }
        return info.libpng_peak_bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws {
        guard let base = bytes.baseAddress, let outBase = out.baseAddress else { throw PNGError.truncated }
        let (status, message) = withMessage {
            mvs_png_decode(base.assumingMemoryBound(to: UInt8.self), bytes.count,
                           outBase.assumingMemoryBound(to: UInt8.self), out.count, $0, $1)
        }
        guard status == MVS_PNG_OK else { throw error(status, call: "mvs_png_decode", message: message) }
    }

    static func encode(
        samples: [UInt16], width: Int, height: Int, colorType: PNGColorType, bitDepth: Int,
        palette: [UInt8]
    ) throws -> [UInt8] {
        guard width > 0, height > 0, width <= Int(UInt32.max), height <= Int(UInt32.max) else {
            throw PNGError.invalidArgument("image size \(width) x \(height)")
        }
        let (product, overflow) = width.multipliedReportingOverflow(by: height * colorType.storedChannels)
        guard !overflow, samples.count == product else {
            throw PNGError.invalidArgument("expected \(width) x \(height) x \(colorType.storedChannels) samples, got \(samples.count)")
        }
        var outPointer: UnsafeMutablePointer<UInt8>? = nil
        var outSize = 0
        let (status, message) = withMessage { messageBuffer, messageSize in
            samples.withUnsafeBufferPointer { sampleBuffer in
                palette.withUnsafeBufferPointer { paletteBuffer in
                    mvs_png_encode(
                        sampleBuffer.baseAddress, UInt32(width), UInt32(height),
                        colorType.cValue, Int32(bitDepth),
                        paletteBuffer.baseAddress, Int32(palette.count / 3),
                        &outPointer, &outSize, messageBuffer, messageSize)
                }
            }
        }
        guard status == MVS_PNG_OK, let outPointer else {
            throw error(status, call: "mvs_png_encode", message: message)
        }
        defer { mvs_png_free(outPointer) }
        return Array(UnsafeBufferPointer(start: outPointer, count: outSize))
    }
}
