import Foundation
import Testing
@testable import Inference

/// Damaged re-zipped (deflated) checkpoints end in an error, never a crash. The DEFLATE decoder
/// itself is tested in Tests/ZIPTests/InflateTests.swift.
@Suite struct PyTorchCheckpointInflateTests {
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
