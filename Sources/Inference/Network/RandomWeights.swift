/// SplitMix64: a tiny deterministic generator, so random-init networks (benchmarks, tests) are the
/// same on every machine and run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal sample (Box–Muller).
    mutating func normal() -> Float {
        let u1 = Double(next() >> 11) * 0x1.0p-53
        let u2 = Double(next() >> 11) * 0x1.0p-53
        let radius = (-2 * log(max(u1, 1e-300))).squareRoot()
        return Float(radius * cos(2 * Double.pi * u2))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension NetworkConfiguration {
    /// Weights drawn with a fixed seed: Kaiming-normal convolutions, small biases, norms at
    /// (1 + small, small), PReLU slopes 0.25 — the authors' initialisation, give or take the noise
    /// added so that no term of the forward pass is trivially zero.
    ///
    /// ```swift
    /// let weights = NetworkConfiguration.multiverseg(features: 32, levels: 4).randomWeights(seed: 1)
    /// let network = try MultiverSegNetwork(weights: weights)
    /// ```
    public func randomWeights(seed: UInt64 = 0) -> WeightsFile {
        var generator = SplitMix64(seed: seed)
        var tensors: [String: Tensor] = [:]
        // Sorted names: the values depend on the seed only, not on dictionary order.
        for (name, shape) in expectedTensorShapes.sorted(by: { $0.key < $1.key }) {
            let count = shape.reduce(1, *)
            var values = [Float](repeating: 0, count: count)
            if shape.count == 4 {
                let fanIn = Float(shape[1] * shape[2] * shape[3])
                let std = (2 / fanIn).squareRoot()
                for i in 0..<count { values[i] = std * generator.normal() }
            } else if name.hasSuffix("norml.weight") {
                for i in 0..<count { values[i] = 1 + 0.1 * generator.normal() }
            } else if name.hasSuffix("conv.1.weight") {
                for i in 0..<count { values[i] = 0.25 }
            } else {
                for i in 0..<count { values[i] = 0.1 * generator.normal() }
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        let metadata = [
            "format": "multiverseg-weights", "format_version": "1", "arch": architecture.rawValue,
            "features": features.map(String.init).joined(separator: ","), "levels": String(levels),
            "resolution": String(resolution), "in_channels": String(targetChannels),
            "training": "none (random initialisation, seed \(seed))",
        ]
        return WeightsFile(metadata: metadata, tensors: tensors)
    }
}
