/// SplitMix64: small, fast and the same on every platform, so a seed names one simulation.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Mixes two numbers into one seed (a run's seed with a sub-experiment's index).
    public static func seed(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var generator = SeededGenerator(seed: a ^ (b &* 0xD1B5_4A32_D192_ED03))
        return generator.next()
    }
}

/// A mean with its 95% percentile-bootstrap interval.
public struct Estimate: Sendable, Codable, Equatable {
    public var mean: Double
    public var low: Double
    public var high: Double
    /// Number of values it summarises.
    public var count: Int

    public init(mean: Double, low: Double, high: Double, count: Int) {
        self.mean = mean
        self.low = low
        self.high = high
        self.count = count
    }
}

public enum Statistics {
    public static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }

    /// The mean of `values` and its 95% bootstrap interval: `resamples` resamples with
    /// replacement, the 2.5th and 97.5th percentiles of their means. Deterministic for a
    /// `seed`. A single value gives a zero-width interval; no values give NaN.
    ///
    /// ```swift
    /// Statistics.bootstrap([3, 4, 5, 4])   // mean 4, interval about 3.25...4.75
    /// ```
    public static func bootstrap(_ values: [Double], resamples: Int = 1000, seed: UInt64 = 0) -> Estimate {
        guard !values.isEmpty else { return Estimate(mean: .nan, low: .nan, high: .nan, count: 0) }
        let m = mean(values)
        guard values.count > 1, resamples > 0 else { return Estimate(mean: m, low: m, high: m, count: values.count) }
        var generator = SeededGenerator(seed: seed)
        var means = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            var sum = 0.0
            for _ in 0..<values.count { sum += values[Int(generator.next() % UInt64(values.count))] }
            means[r] = sum / Double(values.count)
        }
        return Estimate(mean: m, low: Metrics.percentile(means, 2.5), high: Metrics.percentile(means, 97.5),
                        count: values.count)
    }
}
