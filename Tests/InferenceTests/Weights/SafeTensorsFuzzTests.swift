import Testing
@testable import Inference

/// Truncations and byte flips of a valid file must give an error or a (different) valid decode,
/// never a crash.
@Suite struct SafeTensorsFuzzTests {
    private static func sample() throws -> [UInt8] {
        let weights = WeightsFile(
            metadata: ["format": "multiverseg-weights", "format_version": "1", "arch": "multiverseg"],
            tensors: [
                "a.weight": Tensor(shape: [2, 3, 1, 1], values: [1, 2, 3, 4, 5, 6]),
                "a.bias": Tensor(shape: [2], values: [0.5, -0.5]),
                "b": Tensor(shape: [], values: [9]),
            ])
        return try SafeTensors.encode(weights)
    }

    @Test func everyTruncationFails() throws {
        let bytes = try Self.sample()
        var failures = 0
        for length in 0..<bytes.count {
            do {
                _ = try SafeTensors.decode(Array(bytes[..<length]))
                Issue.record("prefix of \(length) of \(bytes.count) bytes decoded")
            } catch {
                failures += 1
            }
        }
        #expect(failures == bytes.count)
        #expect(try SafeTensors.decode(bytes).tensors.count == 3)
    }

    @Test func byteFlipsNeverCrash() throws {
        let bytes = try Self.sample()
        var generator = SplitMix64(seed: 0x5AFE)
        var refused = 0
        let rounds = 4000
        for round in 0..<rounds {
            var mutated = bytes
            // Flip into the header most of the time: that is where parsing happens.
            let flips = 1 + Int(generator.next() % 3)
            for _ in 0..<flips {
                let limit = round % 4 == 0 ? bytes.count : min(bytes.count, 8 + 200)
                let index = Int(generator.next() % UInt64(limit))
                mutated[index] = UInt8(truncatingIfNeeded: generator.next())
            }
            do {
                let weights = try SafeTensors.decode(mutated)
                // Whatever decoded is internally consistent.
                for tensor in weights.tensors.values { #expect(tensor.shape.reduce(1, *) == tensor.values.count) }
            } catch {
                refused += 1
            }
        }
        print("SafeTensors byte flips: \(refused) of \(rounds) mutated files refused, the rest decoded consistently")
        #expect(refused > 0)
    }
}
