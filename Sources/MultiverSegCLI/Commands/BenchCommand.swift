import ArgumentParser
import Foundation
import Inference

/// `multiverseg bench`: latency (median, p90), peak memory and sgemm share of one forward pass
/// per context size, for a weights file or a random-init network of a given size.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the network's forward pass per context size (latency, peak memory, sgemm share).")

    @Option(help: "Weights file (safetensors, our format). Without it a random-init network is measured.")
    var weights: String?
    @OptionGroup(title: "Random-init network (without --weights)")
    var randomNetwork: RandomNetworkOptions
    @Option(help: "Comma-separated context sizes.")
    var contexts = "0,1,4,16,64"
    @Option(help: "Timed runs per context size.")
    var runs = 10
    @Option(help: "Untimed runs first, per context size.")
    var warmup = 1
    @Option(help: "Threads.")
    var threads = 2
    @Option(help: "chunks (our workers, single-threaded sgemm each) or blas (OpenBLAS threads).")
    var parallelism = "chunks"
    @Option(help: "Floats of im2col (or padded band) per worker chunk (tuning).")
    var chunkFloats: Int?
    @Option(help: ArgumentHelp(
        "3x3 convolution algorithm, or several comma-separated, or all (side by side, runs interleaved).",
        discussion: "One of \(ConvolutionAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")); direct and winograd "
            + "name the fastest kernels' own. Default: $\(ConvolutionAlgorithm.environmentVariable), else the fastest this CPU runs."))
    var algorithm: String?
    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let sizes = contexts.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("--contexts must be comma-separated non-negative integers, e.g. 0,1,4,16,64")
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard let mode = MultiverSegNetwork.Parallelism(rawValue: parallelism) else {
            throw ValidationError("--parallelism must be chunks or blas")
        }
        let spec = try weights.map { try ModelSpec.load(weights: $0) } ?? randomNetwork.spec()
        let config = spec.configuration
        let algorithms = try chosenAlgorithms()
        var networks: [SegmentationNetwork] = []
        for chosen in algorithms {
            let network = try spec.makeNetwork(threads: threads, parallelism: mode, algorithm: chosen)
            if let chunkFloats, let network = network as? MultiverSegNetwork { network.chunkFloats = chunkFloats }
            networks.append(network)
        }
        let resetWorks = NetworkBenchmark.peakResetWorks
        let names = algorithms.map(\.rawValue)
        if !json {
            print("\(config), \(threads) threads (\(mode.rawValue), \(names.joined(separator: " | "))), \(runs) runs"
                  + (networks.count > 1 ? " interleaved; peak RSS is the process's" : resetWorks ? "" : "; peak RSS is cumulative"))
            print("algorithm        context  median_ms   p90_ms  cpu_ms  peak_rss_mb  sgemm_share  direct_share  GFLOP/s  sgemm_GFLOP/s  direct_GFLOP/s")
        }
        let perAlgorithm = try NetworkBenchmark.compare(
            networks, runs: runs, warmupRuns: warmup, concurrentSgemmCallers: mode == .chunks ? threads : 1,
            contexts: sizes
        ) { index, r in
            if !json {
                print(names[index].padding(toLength: 15, withPad: " ", startingAt: 0) + String(
                    format: "  %7d  %9.1f  %7.1f  %6.1f  %11.1f  %11.2f  %12.2f  %7.1f  %13.1f  %14.1f", r.context, r.medianMilliseconds, r.p90Milliseconds, r.cpuMilliseconds,
                             r.peakRSSMegabytes, r.sgemmShare, r.directShare, r.gflops, r.sgemmGflops, r.directGflops))
            }
        }
        if !json && networks.count > 1 {
            // The side-by-side table: median ms per forward, and each algorithm over the first.
            print("\nmedian ms per forward (ratio to \(names[0]))")
            print("context" + names.map { $0.padding(toLength: 22, withPad: " ", startingAt: 0) }.reduce("  ") { $0 + $1 })
            for (row, size) in sizes.enumerated() {
                let base = perAlgorithm[0][row].medianMilliseconds
                let cells = perAlgorithm.map { results in
                    let ms = results[row].medianMilliseconds
                    return String(format: "%8.1f (%5.2fx)", ms, ms / base).padding(toLength: 22, withPad: " ", startingAt: 0)
                }
                print(String(format: "%7d  ", size) + cells.joined())
            }
        }
        let results = perAlgorithm[0]
        if json {
            struct Report: Encodable {
                var threads: Int, resolution: Int, features: Int, levels: Int
                var arch: String, parallelism: String, peakRSSReset: Bool
                /// The first algorithm's (what single-algorithm readers expect).
                var algorithm: String
                var results: [NetworkBenchmark.Result]
                /// Every algorithm's, by name, measured side by side.
                var algorithms: [String: [NetworkBenchmark.Result]]
                enum CodingKeys: String, CodingKey {
                    case threads, resolution, features, levels, arch, parallelism, results, algorithm, algorithms
                    case peakRSSReset = "peak_rss_reset"
                }
            }
            let report = Report(threads: threads, resolution: config.resolution, features: config.features[0],
                                levels: config.levels, arch: config.architecture.rawValue,
                                parallelism: mode.rawValue, peakRSSReset: resetWorks && networks.count == 1,
                                algorithm: names[0], results: results,
                                algorithms: Dictionary(uniqueKeysWithValues: zip(names, perAlgorithm)))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }

    /// `--algorithm`: one, several (comma-separated) or `all` of the algorithms this CPU runs;
    /// without it, `MULTIVERSEG_CONVOLUTION` or the fastest.
    func chosenAlgorithms() throws -> [ConvolutionAlgorithm] {
        guard let algorithm else {
            do {
                return [try ConvolutionAlgorithm.fromEnvironment() ?? .fastest]
            } catch {
                throw ValidationError(error.description)
            }
        }
        if algorithm == "all" { return ConvolutionAlgorithm.available }
        let names = algorithm.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw ValidationError("--algorithm needs a name, a comma-separated list or all") }
        do {
            var chosen: [ConvolutionAlgorithm] = []
            for name in names {
                let one = try ConvolutionAlgorithm.named(name)
                if !chosen.contains(one) { chosen.append(one) }
            }
            return chosen
        } catch {
            throw ValidationError("--algorithm: \(error.description)")
        }
    }
}
