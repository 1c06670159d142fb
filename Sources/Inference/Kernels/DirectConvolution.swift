import CDirectConvolution
import Synchronization

/// The AVX-512 direct 3x3 convolution (C, Sources/CDirectConvolution), used instead of
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
    weights: UnsafePointer<Float>, outChannels: Int,
    output: UnsafeMutablePointer<Float>,
    epilogue: ConvolutionEpilogue,
    workspace: KernelWorkspace
) {
    precondition(DirectConvolution.isAvailable, "direct convolution needs AVX-512")
    let c1 = first.channels
    let c2 = second?.channels ?? 0
    let cin = c1 + c2
    let pixels = height * width
    let band = max(1, min(height, workspace.chunkFloats / ((width + 2) * cin)))
    let bandsPerEntry = (height + band - 1) / band
    let units = entries * bandsPerEntry
    workspace.reserveColumns(mvs_conv3x3_band_scratch(Int32(band), Int32(width), Int32(cin)))
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
                mvs_conv3x3_band(
                    first.base + n * pixels * c1, Int32(c1),
                    second.map { $0.base + n * pixels * c2 }, Int32(c2),
                    Int32(height), Int32(width), Int32(y0), Int32(rows),
                    weights, Int32(outChannels), entryOutput, scratch, epiloguePointer)
            }
            DirectConvolution.count(nanoseconds: monotonicNanoseconds() - start,
                                    flops: 2 * rows * width * outChannels * 9 * cin)
    }
}
