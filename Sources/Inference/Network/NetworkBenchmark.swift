import Foundation

/// Measures forward-pass latency, peak memory and the share of time in sgemm for a network at
/// several context sizes (what `multiverseg bench` prints).
///
/// ```swift
/// let network = try MultiverSegNetwork(randomConfiguration: .multiverseg(features: 32, levels: 4), threads: 2)
/// let results = try NetworkBenchmark(network: network, runs: 10).run(contexts: [0, 1, 4, 16, 64])
/// ```
public struct NetworkBenchmark {
    public struct Result: Sendable, Codable, Equatable {
        public var context: Int
        public var medianMilliseconds: Double
        public var p90Milliseconds: Double
        /// RSS high-water mark (VmHWM) during this size's runs, or since the start of the process
        /// where the kernel does not let us reset it (see `peakResetWorks`).
        public var peakRSSMegabytes: Double
        /// Time inside sgemm over the time of the forward passes (per worker: sgemm time summed
        /// over the threads that call it, divided by their number).
        public var sgemmShare: Double
        /// Effective GFLOP/s of the whole forward pass (sgemm flops / wall time).
        public var gflops: Double
        /// GFLOP/s inside sgemm calls alone.
        public var sgemmGflops: Double
        public var activationMegabytes: Double

        enum CodingKeys: String, CodingKey {
            case context, gflops
            case medianMilliseconds = "median_ms", p90Milliseconds = "p90_ms"
            case peakRSSMegabytes = "peak_rss_mb", sgemmShare = "sgemm_share"
            case sgemmGflops = "sgemm_gflops", activationMegabytes = "buffers_mb"
        }
    }

    public let network: SegmentationNetwork
    public var runs: Int
    public var warmupRuns: Int
    /// Threads that call sgemm side by side (to turn summed sgemm time into a share of wall time).
    public var concurrentSgemmCallers: Int
    public var seed: UInt64

    public init(network: SegmentationNetwork, runs: Int = 10, warmupRuns: Int = 1,
                concurrentSgemmCallers: Int = 1, seed: UInt64 = 7) {
        self.network = network
        self.runs = max(1, runs)
        self.warmupRuns = max(0, warmupRuns)
        self.concurrentSgemmCallers = max(1, concurrentSgemmCallers)
        self.seed = seed
    }

    /// Whether this kernel lets us reset the RSS high-water mark (writing 5 to /proc/self/clear_refs).
    public static var peakResetWorks: Bool { resetPeakRSS() }

    public func run(contexts: [Int], progress: ((Result) -> Void)? = nil) throws -> [Result] {
        var results: [Result] = []
        let r = network.resolution
        let pixels = r * r
        var generator = SplitMix64(seed: seed)
        func uniform() -> Float { Float(Double(generator.next() >> 11) * 0x1.0p-53) }
        var target = [Float](repeating: 0, count: 5 * pixels)
        for p in 0..<pixels { target[p] = uniform() }
        target[2 * pixels + pixels / 2 + r / 2] = 1  // one positive click
        for size in contexts {
            let context = (0..<size).map { _ in
                ContextPair(image: (0..<pixels).map { _ in uniform() },
                            mask: (0..<pixels).map { _ in uniform() > 0.5 ? 1 : 0 })
            }
            _ = Self.resetPeakRSS()
            for _ in 0..<warmupRuns { _ = try network.logits(target: target, context: context) }
            BLAS.resetCounters()
            var times: [Double] = []
            var total = 0
            for _ in 0..<runs {
                let start = monotonicNanoseconds()
                _ = try network.logits(target: target, context: context)
                let spent = monotonicNanoseconds() - start
                total += spent
                times.append(Double(spent) * 1e-6)
            }
            let counters = BLAS.counters
            times.sort()
            let median = times.count % 2 == 1
                ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
            let p90 = times[min(times.count - 1, Int((0.9 * Double(times.count)).rounded(.up)) - 1)]
            let buffers = (network as? MultiverSegNetwork)?.bufferBytes ?? 0
            let result = Result(
                context: size, medianMilliseconds: median, p90Milliseconds: p90,
                peakRSSMegabytes: Double(Self.peakRSSKilobytes()) / 1024,
                sgemmShare: Double(counters.nanoseconds) / Double(concurrentSgemmCallers) / Double(max(1, total)),
                gflops: Double(counters.flops) / Double(max(1, total)),
                sgemmGflops: Double(counters.flops) / (Double(max(1, counters.nanoseconds)) / Double(concurrentSgemmCallers)),
                activationMegabytes: Double(buffers) / 1_048_576)
            progress?(result)
            results.append(result)
        }
        return results
    }

    /// VmHWM from /proc/self/status in kB (0 where unavailable).
    static func peakRSSKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    @discardableResult
    static func resetPeakRSS() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do { try handle.write(contentsOf: Data("5".utf8)) } catch { return false }
        return true
    }
}
