import Foundation
import FuzzSupport
import Imaging
import PNGCodec
import ProjectStore

// Every PNG the app reads comes from a user: uploads (`POST .../images`, pixel limit of the
// app's default configuration) and accepted masks (`BinaryMask(png:)`, default limits).
// Invariant: a decode either throws a `PNGError` or yields an image whose sample count fills
// its declared size; nothing crashes, nothing allocates beyond what the file can hold.

private let uploadLimits = PNGLimits(maxPixels: 1 << 26)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let image = try? PNGImage(decoding: bytes, limits: uploadLimits) {
        expect(image.samples.count == image.width * image.height * image.channels)
        expect(image.luminance().allSatisfy { (0...1).contains($0) })
        // What decodes must encode again (the app re-encodes masks and thumbnails).
        let again = try? PNGImage(decoding: image.pngData(), limits: uploadLimits)
        expect(again == image, "a decoded image does not survive an encode/decode round trip")
    }
    if let mask = try? BinaryMask(png: bytes) {
        expect(mask.pixels.count == mask.width * mask.height)
    }
    return 0
}
