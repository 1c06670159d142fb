import Foundation
import PNGCodec
import TestSupport
import Testing

/// A deterministic pattern of samples covering the full range of a bit depth.
private func pattern(count: Int, bitDepth: Int) -> [UInt16] {
    let maxValue = (1 << bitDepth) - 1
    return (0..<count).map { UInt16(($0 * 7919 + $0 / 3) % (maxValue + 1)) }
}

/// Every PNG flavour the reader must accept, and what it decodes to.
struct Flavour: CustomStringConvertible, Sendable {
    let colorType: PNGColorType
    let bitDepth: Int
    var description: String { "\(colorType) \(bitDepth)-bit" }
}

private let flavours: [Flavour] = [
    .init(colorType: .grey, bitDepth: 1), .init(colorType: .grey, bitDepth: 2),
    .init(colorType: .grey, bitDepth: 4), .init(colorType: .grey, bitDepth: 8),
    .init(colorType: .grey, bitDepth: 16), .init(colorType: .greyAlpha, bitDepth: 8),
    .init(colorType: .greyAlpha, bitDepth: 16), .init(colorType: .rgb, bitDepth: 8),
    .init(colorType: .rgb, bitDepth: 16), .init(colorType: .rgba, bitDepth: 8),
    .init(colorType: .rgba, bitDepth: 16), .init(colorType: .palette, bitDepth: 1),
    .init(colorType: .palette, bitDepth: 2), .init(colorType: .palette, bitDepth: 4),
    .init(colorType: .palette, bitDepth: 8),
]

@Suite struct PNGRoundTripTests {
    // 13 x 5 so rows of sub-byte samples end mid-byte.
    let width = 13, height = 5

    @Test(arguments: flavours)
    func roundTrip(flavour: Flavour) throws {
        let channels = flavour.colorType.storedChannels
        let samples = pattern(count: width * height * channels, bitDepth: flavour.bitDepth)
        var palette: [UInt8] = []
        if flavour.colorType == .palette {
            for i in 0..<(1 << flavour.bitDepth) {
                palette += [UInt8(i % 256), UInt8((i * 3) % 256), UInt8(255 - i % 256)]
            }
        }
        let png = try PNGImage.encode(samples: samples, width: width, height: height,
                                      colorType: flavour.colorType, bitDepth: flavour.bitDepth, palette: palette)
        let header = try PNGImage.header(of: png)
        #expect(header.width == width && header.height == height)
        #expect(header.storedBitDepth == flavour.bitDepth && header.storedColorType == flavour.colorType)

        let image = try PNGImage(decoding: png)
        #expect(image.width == width && image.height == height)
        let expected: [UInt16]
        switch flavour.colorType {
        case .palette:
            #expect(image.channels == 3 && image.bitDepth == 8)
            expected = samples.flatMap { index in palette[(Int(index) * 3)..<(Int(index) * 3 + 3)].map(UInt16.init) }
        case .grey where flavour.bitDepth < 8:
            // Low bit depths are scaled to the full 8-bit range (1-bit 1 -> 255, 2-bit 3 -> 255).
            #expect(image.channels == 1 && image.bitDepth == 8)
            let scale = UInt16(255 / ((1 << flavour.bitDepth) - 1))
            expected = samples.map { $0 * scale }
        default:
            #expect(image.channels == channels && image.bitDepth == flavour.bitDepth)
            expected = samples
        }
        #expect(image.samples == expected)
        // What we decode re-encodes to the same pixels.
        #expect(try PNGImage(decoding: image.pngData()) == image)
    }

    @Test func maskIsEightBitGreyOf0And255() throws {
        let mask = (0..<20).map { $0 % 3 == 0 }
        let image = try PNGImage(decoding: PNGImage.maskPNG(mask, width: 5, height: 4))
        #expect(image.channels == 1 && image.bitDepth == 8)
        #expect(image.samples == mask.map { $0 ? 255 : 0 })
    }

    @Test func sixteenBitGreyKeepsFullPrecisionAndLuminanceScales() throws {
        let samples: [UInt16] = [0, 1, 32768, 65535]
        let image = PNGImage(width: 2, height: 2, channels: 1, bitDepth: 16, samples: samples)
        let decoded = try PNGImage(decoding: image.pngData())
        #expect(decoded.samples == samples)
        let grey = decoded.luminance()
        #expect(grey[0] == 0 && grey[3] == 1 && abs(grey[2] - 32768 / 65535) < 1e-6)
    }

    @Test func colourBecomesLuminanceAndAlphaIsIgnored() {
        let rgba = PNGImage(width: 2, height: 1, channels: 4, bitDepth: 8, samples: [255, 0, 0, 0, 10, 200, 30, 255])
        let grey = rgba.luminance()
        #expect(abs(grey[0] - 0.299) < 1e-5)
        #expect(abs(grey[1] - (0.299 * 10 + 0.587 * 200 + 0.114 * 30) / 255) < 1e-5)
    }
}

@Suite struct PNGCorruptFileTests {
    let valid: [UInt8] = try! PNGImage.encode(
        samples: pattern(count: 64 * 64, bitDepth: 8), width: 64, height: 64, colorType: .grey, bitDepth: 8)

    @Test func notAPNG() {
        #expect(throws: PNGError.notPNG) { try PNGImage(decoding: Array("GIF89a and more bytes".utf8)) }
        #expect(throws: PNGError.notPNG) { try PNGImage(decoding: [0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 0, count: 40)) }
    }

    @Test func emptyAndTruncatedSignature() {
        #expect(throws: PNGError.truncated) { try PNGImage(decoding: []) }
        #expect(throws: PNGError.truncated) { try PNGImage(decoding: Array(valid[..<4])) }
    }

    @Test func truncatedFile() {
        for cut in [12, 30, valid.count / 2, valid.count - 13] {
            #expect(throws: PNGError.truncated, "cut at \(cut)") { try PNGImage(decoding: Array(valid[..<cut])) }
        }
    }

    @Test func badCRC() throws {
        let idat = try #require(PNGChunks.offset(of: "IDAT", in: valid))
        let ihdr = try #require(PNGChunks.offset(of: "IHDR", in: valid))
        var damagedChecksum = valid
        damagedChecksum[idat + 8 + Int(PNGChunks.readUInt32(valid, idat))] ^= 0x01
        var damagedHeader = valid
        damagedHeader[ihdr + 8 + 3] ^= 0x01  // one bit of the width
        for damaged in [damagedChecksum, damagedHeader] {
            #expect {
                try PNGImage(decoding: damaged)
            } throws: { error in
                guard case PNGError.badCRC(let message) = error else { return false }
                return message.contains("CRC")
            }
        }
    }

    @Test func corruptCompressedDataWithValidCRC() throws {
        var damaged = valid
        let idat = try #require(PNGChunks.offset(of: "IDAT", in: valid))
        let length = Int(PNGChunks.readUInt32(valid, idat))
        for i in 0..<min(length, 40) { damaged[idat + 8 + i] = 0xFF }
        PNGChunks.writeUInt32(&damaged, idat + 8 + length, PNGChunks.crc32(damaged[(idat + 4)..<(idat + 8 + length)]))
        #expect {
            try PNGImage(decoding: damaged)
        } throws: { error in
            guard case PNGError.corrupt(let call, _) = error else { return false }
            return call == "mvs_png_decode"
        }
    }

    @Test func decompressionBombIsRefusedBeforeAllocating() throws {
        let bomb = PNGChunks.withDeclaredSize(valid, width: 60000, height: 60000)
        #expect(bomb.count < 100_000)
        let before = peakResidentBytes() ?? 0
        #expect(throws: PNGError.tooLarge(width: 60000, height: 60000, maxPixels: PNGLimits.default.maxPixels)) {
            try PNGImage(decoding: bomb)
        }
        // Decoding would have needed 3.6 GB; the peak must not have moved by anything close.
        let after = peakResidentBytes() ?? 0
        #expect(after - before < 256 << 20, "peak RSS grew by \(after - before) bytes")
        // The header alone is still readable, so callers can say what the file claims.
        #expect(try PNGImage.header(of: bomb).width == 60000)
    }

    @Test func customLimits() {
        #expect(throws: PNGError.tooLarge(width: 64, height: 64, maxPixels: 1000)) {
            try PNGImage(decoding: valid, limits: PNGLimits(maxPixels: 1000))
        }
        #expect(throws: PNGError.fileTooLarge(bytes: valid.count, maxBytes: 100)) {
            try PNGImage(decoding: valid, limits: PNGLimits(maxFileBytes: 100))
        }
    }

    @Test func filesOnDisk() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("a.png")
        try Data(valid).write(to: URL(fileURLWithPath: path))
        #expect(try PNGImage(contentsOfFile: path).width == 64)
        #expect {
            try PNGImage(contentsOfFile: directory.file("missing.png"))
        } throws: { error in
            guard case PNGError.io = error else { return false }
            return !(error as! PNGError).description.isEmpty
        }
    }

    @Test func encoderRefusesWrongSampleCounts() {
        #expect(throws: PNGError.self) {
            try PNGImage.encode(samples: [1, 2, 3], width: 2, height: 2, colorType: .grey, bitDepth: 8)
        }
    }
}
