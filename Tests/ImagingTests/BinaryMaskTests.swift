import Imaging
import PNGCodec
import Testing

@Suite struct BinaryMaskThresholdTests {
    @Test func exactlyOneHalfIsForeground() {
        #expect(BinaryMask.foregroundThreshold == 0.5)
        #expect(BinaryMask.isForeground(0.5))
        #expect(!BinaryMask.isForeground(Float(0.5).nextDown))
        #expect(BinaryMask.isForeground(Float(0.5).nextUp))
        let mask = BinaryMask(width: 4, height: 1, levels: [0, Float(0.5).nextDown, 0.5, 1])
        #expect(mask.pixels == [false, false, true, true])
    }

    @Test func greyMaskPNGsSplitBetweenTheTwoMiddleLevels() throws {
        let eight = try PNGImage.encode(samples: [127, 128], width: 2, height: 1, colorType: .grey, bitDepth: 8)
        #expect(try BinaryMask(png: eight).pixels == [false, true])
        let sixteen = try PNGImage.encode(samples: [32767, 32768], width: 2, height: 1, colorType: .grey, bitDepth: 16)
        #expect(try BinaryMask(png: sixteen).pixels == [false, true])
    }

    @Test func aColourWhoseLuminanceIsExactlyOneHalfIsForeground() throws {
        // 0.299 * 0 + 0.587 * 204 + 0.114 * 68 is 127.5 in Float: luminance exactly 0.5.
        let png = try PNGImage.encode(samples: [0, 204, 68, 0, 204, 67], width: 2, height: 1, colorType: .rgb, bitDepth: 8)
        #expect(try PNGImage(decoding: png).luminance()[0] == 0.5)
        #expect(try BinaryMask(png: png).pixels == [true, false])
    }
}

@Suite struct BinaryMaskTests {
    @Test func pixelsAreRowMajor() {
        var mask = BinaryMask(width: 3, height: 2)
        #expect(mask.isEmpty && mask.foregroundCount == 0)
        mask[2, 1] = true
        #expect(mask.pixels == [false, false, false, false, false, true])
        #expect(mask[2, 1] && !mask[1, 1])
        #expect(mask.foregroundCount == 1 && !mask.isEmpty)
    }

    @Test func invertedAndSymmetricDifference() {
        let a = BinaryMask(width: 2, height: 2, pixels: [true, true, false, false])
        let b = BinaryMask(width: 2, height: 2, pixels: [true, false, true, false])
        #expect(a.inverted.pixels == [false, false, true, true])
        #expect(a.symmetricDifference(b).pixels == [false, true, true, false])
        #expect(a.symmetricDifference(a).isEmpty)
    }

    @Test func pngRoundTripIsExactAndStoredAs8BitGrey() throws {
        let mask = BinaryMask(width: 5, height: 3, pixels: (0..<15).map { $0 % 3 == 0 || $0 == 7 })
        let png = try mask.pngData()
        let header = try PNGImage.header(of: png)
        #expect(header.width == 5 && header.height == 3)
        #expect(header.storedColorType == .grey && header.storedBitDepth == 8)
        #expect(try PNGImage(decoding: png).samples == mask.pixels.map { $0 ? 255 : 0 })
        #expect(try BinaryMask(png: png) == mask)
    }

    @Test func decodingRespectsLimitsAndReportsBadBytes() throws {
        let png = try BinaryMask(width: 10, height: 10).pngData()
        #expect(throws: PNGError.tooLarge(width: 10, height: 10, maxPixels: 99)) {
            try BinaryMask(png: png, limits: PNGLimits(maxPixels: 99))
        }
        #expect(throws: PNGError.notPNG) { try BinaryMask(png: [1, 2, 3, 4, 5, 6, 7, 8, 9]) }
    }
}
