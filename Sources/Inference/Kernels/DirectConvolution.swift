import CDirectConvolution
import Synchronization

/// How a 3x3 convolution is computed. All give the same result to float rounding (the golden
/// tests run each).
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable {
    /// im2col + OpenBLAS sgemm (any CPU).
    case im2colGEMM = "im2col-gemm"
    /// Register-blocked AVX-512 kernel reading the taps in place (no im2col).
    case direct
    /// Winograd F(2x2, 3x3) with AVX-512: 2.25x fewer multiplications. Falls back to `direct`
    /// for odd image sizes and narrow inputs (< 16 channels), where it does not pay.
    case winograd

    /// The algorithms this CPU runs.
    public static var available: [ConvolutionAlgorithm] {
        DirectConvolution.isAvailable ? [.im2colGEMM, .direct, .winograd] : [.im2colGEMM]
    }

    /// The fastest algorithm this CPU runs.
    public static var fastest: ConvolutionAlgorithm { DirectConvolution.isAvailable ? .winograd : .im2colGEMM }
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

/// The AVX-512 3x3 convolution kernels (C, Sources/CDirectConvolution), used instead of
/// im2col + sgemm where the CPU has AVX-512.
public enum DirectConvolution {
    /// Whether this CPU can run the direct kernel (checked once).
    public static let isAvailable: Bool = mvs_direct_conv_available() != 0

    private static let elapsed = Atomic<Int>(0)
    private static let flopCount = Atomic<Int>(0)

    /// Time (summed over the threads that call it) and work in the direct kernel since the last
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
    precondition(DirectConvolution.isAvailable, "direct convolution needs AVX-512")
    let c1 = first.channels
    let c2 = second?.channels ?? 0
    let cin = c1 + c2
    let pixels = height * width
    let winograd = winogradWeights != nil && workspace.algorithm == .winograd
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
    case .none: ep.kind = 0
    case .bias(let bias): ep.kind = 1; ep.bias = bias
    case .biasLeakyReLU(let bias, let slope): ep.kind = 2; ep.bias = bias; ep.slope = slope
    case .addPixelLeakyReLU(let addend, let slope): ep.kind = 3; ep.addend = addend; ep.slope = slope
    case .biasPReLU(let bias, let slopes, let count):
        ep.kind = 4; ep.bias = bias; ep.slopes = slopes; ep.slope_count = Int32(count)
    }
    let fused = ep
    workspace.forEachUnit(units, workers: workspace.threads) { unit, worker in
        let scratch = workspace.columns(worker: worker)
            let n = unit / bandsPerEntry
            let y0 = (unit - n * bandsPerEntry) * band
            let rows = min(band, height - y0)
            let entryOutput = output + n * pixels * outChannels
            let start = monotonicNanoseconds()
            withUnsafePointer(to: fused) { epiloguePointer in
                if winograd {
                    mvs_winograd_band(
                        first.base + n * pixels * c1, Int32(c1),
                        second.map { $0.base + n * pixels * c2 }, Int32(c2),
                        Int32(height), Int32(width), Int32(y0), Int32(rows),
                        winogradWeights, Int32(outChannels), entryOutput, scratch, epiloguePointer)
                } else {
                    mvs_conv3x3_band(
                        first.base + n * pixels * c1, Int32(c1),
                        second.map { $0.base + n * pixels * c2 }, Int32(c2),
                        Int32(height), Int32(width), Int32(y0), Int32(rows),
                        weights, Int32(outChannels), entryOutput, scratch, epiloguePointer)
                }
            }
            DirectConvolution.count(nanoseconds: monotonicNanoseconds() - start,
                                    flops: 2 * rows * width * outChannels * 9 * cin)
    }
}
