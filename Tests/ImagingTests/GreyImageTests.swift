import Imaging
import PNGCodec
import Testing

@Suite struct GreyImageTests {
    @Test func intensitiesAreRescaledPerImage() throws {
        let image = try GreyImage(width: 2, height: 2, pixels: [-100, 0, 100, 300])
        #expect(image.normalisedPixels() == [0, 0.25, 0.5, 1])
        let flat = try GreyImage(width: 2, height: 1, pixels: [7, 7])
        #expect(flat.normalisedPixels() == [0, 0])
    }

    @Test func badImagesAreTypedErrors() {
        #expect(throws: ImagingError.sizeMismatch(width: 3, height: 2, pixelCount: 5)) {
            try GreyImage(width: 3, height: 2, pixels: [0, 0, 0, 0, 0])
        }
        #expect(throws: ImagingError.sizeMismatch(width: 0, height: 2, pixelCount: 0)) {
            try GreyImage(width: 0, height: 2, pixels: [])
        }
        #expect(throws: ImagingError.nonFiniteIntensity(index: 1)) {
            try GreyImage(width: 2, height: 1, pixels: [0, .nan])
        }
    }

    @Test func pngRoundTripKeepsSixteenBitLevels() throws {
        let samples: [UInt16] = [0, 1, 32768, 65535, 4096, 12]
        let png = try PNGImage.encode(samples: samples, width: 3, height: 2, colorType: .grey, bitDepth: 16)
        let image = try GreyImage(png: png)
        #expect(image.width == 3 && image.height == 2)
        #expect(image.pixels == samples.map { Float($0) * (1 / Float(65535)) })
        let back = image.pixels.map { UInt16(($0 * 65535).rounded()) }
        #expect(back == samples)
    }

    @Test func colourBecomesLuminance() throws {
        let png = try PNGImage.encode(samples: [255, 0, 0, 0, 0, 255], width: 2, height: 1, colorType: .rgb, bitDepth: 8)
        let image = try GreyImage(png: png)
        #expect(image == GreyImage(try PNGImage(decoding: png)))
        #expect(abs(image[0, 0] - 0.299) < 1e-6 && abs(image[1, 0] - 0.114) < 1e-6)
    }
}
