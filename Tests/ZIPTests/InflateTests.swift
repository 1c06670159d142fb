import Testing
@testable import ZIP

/// The DEFLATE decoder (zlib behind `Inflate`) used for re-zipped checkpoints. Vectors: raw DEFLATE
/// from Python's zlib (`zlib.compressobj(9, zlib.DEFLATED, -15)`), and hand-assembled blocks.
/// Corrupt data is worded by zlib; truncation and the size cap by the wrapper.
@Suite struct InflateTests {
    private func inflate(_ bytes: [UInt8], limit: Int = 1 << 20) throws(InflateError) -> [UInt8] {
        try Inflate.decompress(bytes[...], limit: limit)
    }

    @Test func handAssembledBlocks() throws {
        // Final fixed block holding only end-of-block: bits 1, 01, 0000000.
        #expect(try inflate([0x03, 0x00]) == [])
        // Final stored block: header bits 1, 00, then LEN = 3, NLEN = ~3, then the bytes.
        #expect(try inflate([0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62, 0x63]) == Array("abc".utf8))
        // A non-final stored block followed by a final one.
        #expect(try inflate([0x00, 0x01, 0x00, 0xFE, 0xFF, 0x78, 0x01, 0x01, 0x00, 0xFE, 0xFF, 0x79]) == Array("xy".utf8))
    }

    @Test func zlibVectors() throws {
        #expect(try inflate([0x4B, 0x04, 0x00]) == Array("a".utf8))
        // Back-references that overlap their own output (distance 3, length 12).
        #expect(try inflate([0x4B, 0x4C, 0x4A, 0x4E, 0x44, 0x42, 0x00]) == Array(String(repeating: "abc", count: 5).utf8))
        #expect(try inflate([0xCB, 0x48, 0xCD, 0xC9, 0xC9, 0x57, 0xC8, 0x40, 0x90, 0x00]) == Array("hello hello hello".utf8))
    }

    @Test func malformedStreamsAreRefused() {
        let cases: [([UInt8], String)] = [
            ([], "compressed data ends early"),
            ([0x07], "inflate: invalid block type"),
            ([0x01, 0x03, 0x00, 0xFC, 0xFE, 0x61, 0x62, 0x63], "inflate: invalid stored block lengths"),
            ([0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61], "compressed data ends early"),
            ([0x4B, 0x04], "compressed data ends early"),
        ]
        for (bytes, reason) in cases {
            #expect(throws: InflateError(reason: reason), "\(bytes)") { try inflate(bytes) }
        }
        // A distance before the start: fixed block, literal-free, length code 257 (3 bytes), distance 1.
        // Bits: final 1, type 01, code 257 = 0000001, distance code 0 = 00000.
        #expect(throws: InflateError(reason: "inflate: invalid distance too far back")) { try inflate([0x03, 0x02, 0x00]) }
        // Output beyond the declared size is refused while decoding, not after.
        #expect(throws: InflateError(reason: "data expands past the declared size")) {
            try inflate([0x4B, 0x4C, 0x4A, 0x4E, 0x44, 0x42, 0x00], limit: 10)
        }
        #expect(throws: InflateError(reason: "data expands past the declared size")) {
            try inflate([0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62, 0x63], limit: 2)
        }
    }

    @Test func randomStreamsNeverCrash() {
        // A fixed 64-bit LCG (Knuth's MMIX constants): ZIP sits below Inference, whose SplitMix64
        // this target cannot see, and any fixed sequence does here.
        var state: UInt64 = 0x1F1A7E
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 11
        }
        var decoded = 0
        let rounds = 5000
        for _ in 0..<rounds {
            let count = 1 + Int(next() % 48)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
            // Bias towards dynamic blocks (type 2), the most intricate path.
            if next() % 2 == 0 { bytes[0] = (bytes[0] & ~0x06) | 0x04 }
            if let output = try? inflate(bytes, limit: 4096) {
                #expect(output.count <= 4096)
                decoded += 1
            }
        }
        print("Inflate on random streams: \(decoded) of \(rounds) decoded, the rest refused")
    }
}
