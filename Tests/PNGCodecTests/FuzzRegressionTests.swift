import Foundation
@testable import PNGCodec
import TestSupport
import Testing

/// Inputs found by `scripts/fuzz` (target `png`) that made the reader misbehave; each test
/// failed before its fix.
@Suite struct PNGFuzzRegressionTests {
    /// The fuzzer's reproducer: a 2 x 2 RGB header followed by a tEXt chunk whose length field
    /// says 905,969,676 bytes in a 104-byte file. libpng allocated the declared length before
    /// reading (a 905 MB malloc per request, refused by the fuzzer's allocation limit).
    static let hugeTextChunk: [UInt8] = [
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
        0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02,
        0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a, 0x73, 0x36, 0x00, 0x00,
        0x0c, 0x74, 0x45, 0x58, 0x74, 0x43, 0x6f, 0x45, 0x58, 0x74, 0x43, 0x6f,
        0x6d, 0x6d, 0x65, 0x6e, 0x34, 0x00, 0x66, 0x75, 0x7a, 0x7a, 0x87, 0x2d,
        0x81, 0xc3, 0x48, 0x59, 0x73, 0x00, 0x49, 0x45, 0x4e, 0x44, 0x00, 0x50,
        0x06, 0x1b, 0xea, 0x6f, 0x01, 0x0d, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02,
        0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a, 0x73, 0x00, 0x00, 0x00, 0x0c, 0x74,
        0x45, 0x58, 0x74, 0x43, 0x01, 0x42, 0x60, 0x82,
    ]

    /// A valid PNG with one more chunk of `type` declaring `length` bytes, followed by `tail`.
    static func withDeclaredChunk(_ type: String, length: UInt32, tail: [UInt8] = Array("fuzz".utf8)) throws -> [UInt8] {
        let valid = try PNGImage.encode(samples: [1, 2, 3, 4], width: 2, height: 2, colorType: .grey, bitDepth: 8)
        let iend = PNGChunks.offset(of: "IEND", in: valid)!
        var chunk = [UInt8](repeating: 0, count: 4)
        PNGChunks.writeUInt32(&chunk, 0, length)
        return Array(valid[..<iend]) + chunk + Array(type.utf8) + tail
    }

    @Test func declaredChunkLengthIsNotAllocated() throws {
        #expect(throws: PNGError.self) { try PNGImage(decoding: Self.hugeTextChunk) }
        let peak = Self.hugeTextChunk.withUnsafeBytes { LibPNG.headerPeakAllocation($0) }
        #expect(peak < 1 << 20, "libpng held \(peak) bytes for a 104-byte file")
        for type in ["tEXt", "zTXt", "iTXt", "iCCP", "sPLT", "eXIf", "abCd"] {
            let bytes = try Self.withDeclaredChunk(type, length: 0x7FFF_FFFF)
            #expect(throws: PNGError.self, "\(type)") { try PNGImage(decoding: bytes) }
            let held = bytes.withUnsafeBytes { LibPNG.decodePeakAllocation($0) }
            #expect(held < 1 << 20, "libpng held \(held) bytes for a \(type) chunk declaring 2 GB")
        }
    }

    /// A complete file (IHDR, one IDAT, IEND) declaring 8000 x 8000 grey pixels, whose IDAT is
    /// a few dozen bytes: 64 MB of rows cannot come out of it. The decoder allocated and zeroed
    /// 192 MB before libpng noticed; now the size is refused from the header alone.
    @Test func imageLargerThanItsDataCanHoldIsRefusedBeforeAllocating() throws {
        let small = try PNGImage.encode(samples: [UInt16](repeating: 0, count: 64), width: 8, height: 8,
                                        colorType: .grey, bitDepth: 8)
        let liar = PNGChunks.withDeclaredSize(small, width: 8000, height: 8000)
        #expect(liar.count < 200)
        #expect(throws: PNGError.truncated) { try PNGImage(decoding: liar) }
        // The header is still readable, so callers can say what the file claims.
        #expect(try PNGImage.header(of: liar).width == 8000)
        // Files at DEFLATE's best ratio still decode: a 2000 x 2000 all-black image.
        let black = try PNGImage.encode(samples: [UInt16](repeating: 0, count: 2000 * 2000), width: 2000, height: 2000,
                                        colorType: .grey, bitDepth: 8)
        #expect(try PNGImage(decoding: black).width == 2000)
        let oneBit = try PNGImage.encode(samples: [UInt16](repeating: 1, count: 4000 * 4000), width: 4000, height: 4000,
                                         colorType: .grey, bitDepth: 1)
        #expect(try PNGImage(decoding: oneBit).samples.allSatisfy { $0 == 255 })
    }
}
