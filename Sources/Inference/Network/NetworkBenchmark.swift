import Foundation

/// Measures forward-pass latency, peak memory and the share of time in sgemm for a network at
/// several context sizes (what `multiverseg bench` prints).
///
/// ```swift
/// let network = try MultiverSegNetwork(randomConfiguration: .multiverseg(features: 32, levels: 4), threads: 2)
/// let results = try NetworkBenchmark(network: network, runs: 10).run(contexts: [0, 1, 4, 16, 64])
/// ```
public struct NetworkBenchmark {
    /// Figures for one context size (JSON keys as `multiverseg bench --json` prints them).
    public struct Result: Sendable, Codable, Equatable {
        public var context: Int
        /// Wall-clock latency of one forward pass, median and 90th percentile over the timed runs.
        public var medianMilliseconds: Double
        public var p90Milliseconds: Double
        /// Median process CPU time (user + system, all threads) per forward pass: on a machine
        /// shared with other work, cpu_ms / threads is the latency the pass would have alone.
        public var cpuMilliseconds: Double
        /// RSS high-water mark (VmHWM) during this size's runs, or since the start of the process
        /// where the kernel does not let us reset it (see `peakResetWorks`).
        public var peakRSSMegabytes: Double
        /// Time inside sgemm over the time of the forward passes (per worker: sgemm time summed
        /// over the threads that call it, divided by their number).
        public var sgemmShare: Double
        /// Time inside the im2col-free convolution kernels (direct or Winograd, any instruction
        /// set), as a share like `sgemmShare`.
        public var directShare: Double
        /// Effective GFLOP/s of the whole forward pass (convolution flops / wall time).
        public var gflops: Double
        /// GFLOP/s inside sgemm calls alone.
        public var sgemmGflops: Double
        /// GFLOP/s inside the im2col-free kernels alone, counting a 3x3 convolution's direct flops
        /// (2·9·Cin·Cout per pixel) also when Winograd computes it with fewer.
        public var directGflops: Double
        /// Activation buffers and scratch the network holds after this size.
        public var activationMegabytes: Double

        enum CodingKeys: String, CodingKey {
            case context, gflops
            case medianMilliseconds = "median_ms", p90Milliseconds = "p90_ms", cpuMilliseconds = "cpu_ms"
            case peakRSSMegabytes = "peak_rss_mb", sgemmShare = "sgemm_share"
            case sgemmGflops = "sgemm_gflops", activationMegabytes = "buffers_mb"
            case directShare = "direct_share", directGflops = "direct_gflops"
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

    /// Times the network at each context size in turn (random inputs, fixed seed); `progress`
    /// sees each result as it is ready. Buffers only grow, so give sizes in ascending order for
    /// per-size peak memory.
    public func run(contexts: [Int], progress: ((Result) -> Void)? = nil) throws -> [Result] {
        try Self.compare([network], runs: runs, warmupRuns: warmupRuns,
                         concurrentSgemmCallers: concurrentSgemmCallers, seed: seed,
                         contexts: contexts) { _, result in progress?(result) }[0]
    }

    /// Times several networks of one resolution side by side (e.g. one per convolution
    /// algorithm): at each context size, every timed run goes through the networks in turn, so
    /// a background job slows each of them alike and their ratios hold even where absolute
    /// times do not. Returns one list of results per network; `progress` sees (network index,
    /// result). Peak RSS is the process's, shared by all of them.
    public static func compare(
        _ networks: [SegmentationNetwork], runs: Int = 10, warmupRuns: Int = 1, concurrentSgemmCallers: Int = 1,
        seed: UInt64 = 7, contexts: [Int], progress: ((Int, Result) -> Void)? = nil
    ) throws -> [[Result]] {
        precondition(!networks.isEmpty && Set(networks.map(\.resolution)).count == 1,
                     "networks to compare need one resolution")
        let runs = max(1, runs)
        var results = [[Result]](repeating: [], count: networks.count)
        let r = networks[0].resolution
        let pixels = r * r
        var generator = SplitMix64(seed: seed)
        func uniform() -> Float { Float(Double(generator.next() >> 11) * 0x1.0p-53) }
        var target = [Float](repeating: 0, count: 5 * pixels)
        for p in 0..<pixels { target[p] = uniform() }
        target[2 * pixels + pixels / 2 + r / 2] = 1  // one positive click
        struct Tally {
            var times: [Double] = [], cpuTimes: [Double] = [], total = 0
            var sgemmNanoseconds = 0, sgemmFlops = 0, directNanoseconds = 0, directFlops = 0
        }
        for size in contexts {
            let context = (0..<size).map { _ in
                ContextPair(image: (0..<pixels).map { _ in uniform() },
                            mask: (0..<pixels).map { _ in uniform() > 0.5 ? 1 : 0 })
            }
            _ = resetPeakRSS()
            for network in networks {
                for _ in 0..<max(0, warmupRuns) { _ = try network.logits(target: target, context: context) }
            }
            var tallies = [Tally](repeating: Tally(), count: networks.count)
            for _ in 0..<runs {
                for (index, network) in networks.enumerated() {
                    BLAS.resetCounters()
                    DirectConvolution.resetCounters()
                    let cpuStart = processCPUNanoseconds()
                    let start = monotonicNanoseconds()
                    _ = try network.logits(target: target, context: context)
                    let spent = monotonicNanoseconds() - start
                    tallies[index].cpuTimes.append(Double(processCPUNanoseconds() - cpuStart) * 1e-6)
                    tallies[index].total += spent
                    tallies[index].times.append(Double(spent) * 1e-6)
                    tallies[index].sgemmNanoseconds += BLAS.counters.nanoseconds
                    tallies[index].sgemmFlops += BLAS.counters.flops
                    tallies[index].directNanoseconds += DirectConvolution.counters.nanoseconds
                    tallies[index].directFlops += DirectConvolution.counters.flops
                }
            }
            let callers = Double(max(1, concurrentSgemmCallers))
            for (index, network) in networks.enumerated() {
                let tally = tallies[index]
                let times = tally.times.sorted()
                let cpuTimes = tally.cpuTimes.sorted()
                let total = Double(max(1, tally.total))
                let median = times.count % 2 == 1
                    ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
                let p90 = times[min(times.count - 1, Int((0.9 * Double(times.count)).rounded(.up)) - 1)]
                let buffers = (network as? MultiverSegNetwork)?.bufferBytes ?? 0
                let result = Result(
                    context: size, medianMilliseconds: median, p90Milliseconds: p90,
                    cpuMilliseconds: cpuTimes[cpuTimes.count / 2],
                    peakRSSMegabytes: Double(peakRSSKilobytes()) / 1024,
                    sgemmShare: Double(tally.sgemmNanoseconds) / callers / total,
                    directShare: Double(tally.directNanoseconds) / callers / total,
                    gflops: Double(tally.sgemmFlops + tally.directFlops) / total,
                    sgemmGflops: Double(tally.sgemmFlops) / (Double(max(1, tally.sgemmNanoseconds)) / callers),
                    directGflops: Double(tally.directFlops) / (Double(max(1, tally.directNanoseconds)) / callers),
                    activationMegabytes: Double(buffers) / 1_048_576)
                progress?(index, result)
                results[index].append(result)
            }
        }
        return results
    }

    /// User + system CPU time of the whole process.
    static func processCPUNanoseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return now.tv_sec * 1_000_000_000 + now.tv_nsec
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
