import CDirectConvolution
import Foundation
import Synchronization

/// The instruction set the im2col-free 3x3 kernels (C, Sources/CDirectConvolution) run with.
/// Raw values are the C side's `MVS_KERNELS_*`.
public enum ConvolutionKernels: Int32, Sendable, CaseIterable {
    /// Vector extensions without intrinsics (SSE2 on x86-64, NEON on aarch64): every CPU.
    case portable = 0
    /// x86-64 AVX2 + FMA.
    case avx2 = 1
    /// x86-64 AVX-512F.
    case avx512 = 2
    /// aarch64 NEON intrinsics.
    case neon = 3

    /// Whether this binary has these kernels and this CPU runs them (checked at run time).
    public var isAvailable: Bool { mvs_kernels_available(rawValue) != 0 }
}

/// How a 3x3 convolution is computed. All give the same result to float rounding (the golden
/// tests run each). The raw value is what `--algorithm` and `MULTIVERSEG_CONVOLUTION` take.
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable {
    /// im2col + OpenBLAS sgemm.
    case im2colGEMM = "im2col-gemm"
    /// Winograd F(2x2, 3x3) (2.25x fewer multiplications) with AVX-512, and the direct kernel
    /// where Winograd does not pay (odd image sizes, < 16 input channels).
    case avx512
    /// The register-blocked direct kernel alone (reads the taps in place, no im2col), AVX-512.
    case avx512Direct = "avx512-direct"
    /// As `avx512` with AVX2 + FMA.
    case avx2
    case avx2Direct = "avx2-direct"
    /// As `avx512` with NEON (aarch64).
    case neon
    case neonDirect = "neon-direct"
    /// As `avx512` in portable C (vector extensions), for CPUs none of the above fit.
    case portable
    case portableDirect = "portable-direct"

    /// The kernels this algorithm runs (nil: im2col + sgemm).
    public var kernels: ConvolutionKernels? {
        switch self {
        case .im2colGEMM: nil
        case .avx512, .avx512Direct: .avx512
        case .avx2, .avx2Direct: .avx2
        case .neon, .neonDirect: .neon
        case .portable, .portableDirect: .portable
        }
    }

    /// Whether 3x3 convolutions on even image sizes with >= 16 input channels use Winograd.
    public var usesWinograd: Bool {
        switch self {
        case .avx512, .avx2, .neon, .portable: true
        default: false
        }
    }

    /// The algorithms this CPU runs.
    public static var available: [ConvolutionAlgorithm] {
        allCases.filter { $0.kernels?.isAvailable ?? true }
    }

    /// The fastest algorithm this CPU runs: Winograd with the widest kernels it has. (The
    /// portable kernels beat im2col + sgemm too; `multiverseg bench --algorithm all` measures it.)
    public static let fastest: ConvolutionAlgorithm =
        [.avx512, .avx2, .neon].first { $0.kernels!.isAvailable } ?? .portable

    /// The environment variable that forces an algorithm for the whole process (the app, `bench`,
    /// `eval`, ...): one of the raw values, or `direct` / `winograd` for the fastest kernels' own.
    public static let environmentVariable = "MULTIVERSEG_CONVOLUTION"

    /// What new workspaces use: the algorithm `MULTIVERSEG_CONVOLUTION` names, else `fastest`. A
    /// value that is unknown or that this CPU cannot run is reported once on stderr and ignored
    /// (`bench` refuses it instead, through `fromEnvironment`).
    public static let `default`: ConvolutionAlgorithm = {
        do {
            return try fromEnvironment() ?? fastest
        } catch {
            FileHandle.standardError.write(Data("warning: \(error); using \(fastest.rawValue)\n".utf8))
            return fastest
        }
    }()

    /// The algorithm `MULTIVERSEG_CONVOLUTION` names in `environment` (nil when unset or empty).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConvolutionAlgorithmError) -> ConvolutionAlgorithm? {
        guard let value = environment[environmentVariable], !value.isEmpty else { return nil }
        do {
            return try named(value)
        } catch {
            throw .environment(variable: environmentVariable, problem: error)
        }
    }

    /// The algorithm called `name` (a raw value, `direct` or `winograd`), if this CPU runs it.
    public static func named(_ name: String) throws(ConvolutionAlgorithmError) -> ConvolutionAlgorithm {
        let chosen: ConvolutionAlgorithm
        switch name {
        // The names from before there were several instruction sets: the fastest kernels.
        case "winograd": chosen = fastest
        case "direct": chosen = ConvolutionAlgorithm(rawValue: fastest.rawValue + "-direct") ?? .portableDirect
        default:
            guard let known = ConvolutionAlgorithm(rawValue: name) else {
                throw .unknown(name, known: allCases.map(\.rawValue))
            }
            chosen = known
        }
        guard available.contains(chosen) else { throw .unavailable(chosen, available: available.map(\.rawValue)) }
        return chosen
    }
}

/// Why a convolution algorithm named by the user cannot be used.
public indirect enum ConvolutionAlgorithmError: Error, Equatable, CustomStringConvertible {
    case unknown(String, known: [String])
    case unavailable(ConvolutionAlgorithm, available: [String])
    case environment(variable: String, problem: ConvolutionAlgorithmError)

    public var description: String {
        switch self {
        case .unknown(let name, let known):
            "unknown convolution algorithm '\(name)' (one of \(known.joined(separator: ", ")), direct, winograd)"
        case .unavailable(let algorithm, let available):
            "this CPU cannot run the \(algorithm.rawValue) convolution kernels (it runs \(available.joined(separator: ", ")))"
        case .environment(let variable, let problem):
            "\(variable): \(problem)"
        }
    }
}

/// Winograd F(2x2, 3x3) weights U = G g Gᵀ of input channels `channels` of OIHW `oihw`, laid out
/// [16][|channels|][cout] (what `conv3x3` takes as `winogradWeights`).
public func winogradTransformWeights(
    oihw: [Float], outChannels: Int, inChannels: Int, channels: Range<Int>
) -> [Float] {
    precondition(oihw.count == outChannels * inChannels * 9, "weights do not match the shape given")
    var transformed = [Float](repeating: 0, count: 16 * channels.count * outChannels)
    oihw.withUnsafeBufferPointer { source in
        transformed.withUnsafeMutableBufferPointer { destination in
            mvs_winograd_transform_weights(
                source.baseAddress!, Int32(outChannels), Int32(inChannels), Int32(channels.lowerBound),
                Int32(channels.count), destination.baseAddress!)
        }
    }
    return transformed
}

/// The im2col-free 3x3 convolution kernels (C, Sources/CDirectConvolution): their counters.
public enum DirectConvolution {
    private static let elapsed = Atomic<Int>(0)
    private static let flopCount = Atomic<Int>(0)

    /// Time (summed over the threads that call it) and work in the kernels since the last
    /// `resetCounters()`, counted like `BLAS.counters`.
    public static var counters: BLAS.Counters {
        BLAS.Counters(calls: 0, nanoseconds: elapsed.load(ordering: .relaxed), flops: flopCount.load(ordering: .relaxed))
    }

    /// Sets the counters to zero (before a measured run).
    public static func resetCounters() {
        elapsed.store(0, ordering: .relaxed)
        flopCount.store(0, ordering: .relaxed)
    }

    static func count(nanoseconds: Int, flops: Int) {
        elapsed.add(nanoseconds, ordering: .relaxed)
        flopCount.add(flops, ordering: .relaxed)
    }
}

// conv3x3Direct: same contract as conv3x3 (out[n][y][x][co] = epilogue(Σ in·W), zero padding 1),
// computed band by band of image rows: each worker copies a band with a zero border into its
// scratch and runs the register-blocked kernel, which applies the epilogue as it stores.
// PyTorch: F.conv2d(torch.cat([first, second], 1), w, b, padding=1) on NCHW tensors.
func conv3x3Direct(
    first: FeatureSource, second: FeatureSource?,
    entries: Int, height: Int, width: Int,
    weights: UnsafePointer<Float>, winogradWeights: UnsafePointer<Float>?, outChannels: Int,
    output: UnsafeMutablePointer<Float>,
    epilogue: ConvolutionEpilogue,
    workspace: KernelWorkspace
) {
    guard let kernels = workspace.algorithm.kernels?.rawValue else {
        preconditionFailure("conv3x3Direct called for im2col + sgemm")
    }
    let c1 = first.channels
    let c2 = second?.channels ?? 0
    let cin = c1 + c2
    let pixels = height * width
    let winograd = winogradWeights != nil && workspace.algorithm.usesWinograd
        && height % 2 == 0 && width % 2 == 0 && cin >= 16
    // A band's scratch is about `chunkFloats`: the padded copy for the direct kernel, the
    // transformed tiles (4x the input: 16 values per 2x2 pixels) for Winograd.
    var band = max(1, min(height, workspace.chunkFloats / ((width + 2) * cin)))
    if winograd { band = max(2, min(height, workspace.chunkFloats / (4 * width * cin)) & ~1) }
    let bandsPerEntry = (height + band - 1) / band
    let units = entries * bandsPerEntry
    workspace.reserveColumns(winograd
        ? mvs_winograd_band_scratch(Int32(band), Int32(width), Int32(cin), Int32(outChannels))
        : mvs_conv3x3_band_scratch(Int32(band), Int32(width), Int32(cin)))
    var ep = mvs_epilogue()
    switch epilogue {
    case .none: ep.kind = MVS_EPILOGUE_NONE
    case .bias(let bias): ep.kind = MVS_EPILOGUE_BIAS; ep.bias = bias
    case .biasLeakyReLU(let bias, let slope): ep.kind = MVS_EPILOGUE_BIAS_LEAKY_RELU; ep.bias = bias; ep.slope = slope
    case .addPixelLeakyReLU(let addend, let slope): ep.kind = MVS_EPILOGUE_ADD_PIXEL_LEAKY_RELU; ep.addend = addend; ep.slope = slope
    case .biasPReLU(let bias, let slopes, let count):
        ep.kind = MVS_EPILOGUE_BIAS_PRELU; ep.bias = bias; ep.slopes = slopes; ep.slope_count = Int32(count)
    }
    let fused = ep
    workspace.forEachUnit(units, workers: workspace.threads) { unit, worker in
        let scratch = workspace.columns(worker: worker)
            let n = unit / bandsPerEntry
            let y0 = (unit - n * bandsPerEntry) * band
            let rows = min(band, height - y0)
            let entryOutput = output + n * pixels * outChannels
            let start = monotonicNanoseconds()
            let ran = withUnsafePointer(to: fused) { epiloguePointer in
                if winograd {
                    mvs_winograd_band(
                        kernels, first.base + n * pixels * c1, Int32(c1),
                        second.map { $0.base + n * pixels * c2 }, Int32(c2),
                        Int32(height), Int32(width), Int32(y0), Int32(rows),
                        winogradWeights, Int32(outChannels), entryOutput, scratch, epiloguePointer)
                } else {
                    mvs_conv3x3_band(
                        kernels, first.base + n * pixels * c1, Int32(c1),
                        second.map { $0.base + n * pixels * c2 }, Int32(c2),
                        Int32(height), Int32(width), Int32(y0), Int32(rows),
                        weights, Int32(outChannels), entryOutput, scratch, epiloguePointer)
                }
            }
            DirectConvolution.count(nanoseconds: monotonicNanoseconds() - start,
                                    flops: 2 * rows * width * outChannels * 9 * cin)
            workspace.noteKernelsRan(ran)
    }
}
