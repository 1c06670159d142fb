import Foundation
import Testing
@testable import Inference
@testable import ZIP

/// The DEFLATE decoder (zlib behind `Inflate`) used for re-zipped checkpoints. Vectors: raw DEFLATE
/// from Python's zlib (`zlib.compressobj(9, zlib.DEFLATED, -15)`), and hand-assembled blocks.
/// Corrupt data is worded by zlib; truncation and the size cap by the wrapper.
@Suite struct PyTorchCheckpointInflateTests {
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
        var generator = SplitMix64(seed: 0x1F1A7E)
        var decoded = 0
        let rounds = 5000
        for _ in 0..<rounds {
            let count = 1 + Int(generator.next() % 48)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // Bias towards dynamic blocks (type 2), the most intricate path.
            if generator.next() % 2 == 0 { bytes[0] = (bytes[0] & ~0x06) | 0x04 }
            if let output = try? inflate(bytes, limit: 4096) {
                #expect(output.count <= 4096)
                decoded += 1
            }
        }
        print("Inflate on random streams: \(decoded) of \(rounds) decoded, the rest refused")
    }

    @Test func truncatedAndFlippedDeflatedCheckpointsNeverCrash() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath("importer/deflated.pt"))))
        for length in 0..<bytes.count {
            #expect(throws: (any Error).self) { try PyTorchCheckpoint.stateDict(Array(bytes[..<length])) }
        }
        var generator = SplitMix64(seed: 0xDEF1A7E)
        var refused = 0
        let rounds = 3000
        for _ in 0..<rounds {
            var mutated = bytes
            mutated[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
            do {
                for tensor in try PyTorchCheckpoint.stateDict(mutated).values {
                    #expect(tensor.shape.reduce(1, *) == tensor.values.count)
                }
            } catch {
                refused += 1
            }
        }
        print("deflated.pt byte flips: \(refused) of \(rounds) refused, the rest imported consistently")
        #expect(refused > 0)
    }
}
