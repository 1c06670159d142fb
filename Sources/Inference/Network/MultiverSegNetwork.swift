/// The authors' MultiverSeg network (a UNet of CrossBlocks) on the CPU, for any context size.
///
/// Layout: every activation is channels-last (`[entries][H][W][C]`), so the pixels of all context
/// entries are the rows of one matrix product and the output channels its columns. Each
/// CrossBlock computes the target half of its cross-convolution once and the entry half for all
/// entries in one batched product, adding the two in the product's epilogue (no concatenation).
/// Buffers grow to the largest context seen and are reused; one forward pass runs at a time.
///
/// ```swift
/// let network = try MultiverSegNetwork(weights: try SafeTensors.read(path), threads: 2)
/// let logits = try network.logits(target: fiveChannels, context: pairs)  // [R*R]
/// ```
public final class MultiverSegNetwork: SegmentationNetwork {
    /// Architecture, features per level, resolution and input channels.
    public let configuration: NetworkConfiguration
    /// Side of the square input and output.
    public var resolution: Int { configuration.resolution }
    /// Threads used by the kernels (and OpenBLAS, depending on `parallelism`).
    public let threads: Int

    /// How the threads are used.
    public enum Parallelism: String, Sendable, CaseIterable {
        /// Our workers each run whole convolution chunks with a single-threaded sgemm (default).
        case chunks
        /// Chunks run one after another; OpenBLAS splits each product over the threads.
        case blas
    }

    private let encoder: [CrossBlock]
    private let decoder: [CrossBlock]
    private let outConv: PackedConvolution
    let workspace: KernelWorkspace

    /// Floats of im2col each worker fills before one matrix product (a tuning knob for benchmarks).
    public var chunkFloats: Int {
        get { workspace.chunkFloats }
        set { workspace.chunkFloats = max(1, newValue) }
    }

    /// How 3x3 convolutions are computed (default: `ConvolutionAlgorithm.default`); one this CPU
    /// cannot run is ignored.
    public var convolutionAlgorithm: ConvolutionAlgorithm {
        get { workspace.algorithm }
        set { if ConvolutionAlgorithm.available.contains(newValue) { workspace.algorithm = newValue } }
    }
    private let parallelism: Parallelism

    // Activations (see `forward` for who writes what).
    private let targetInput = FloatBuffer()
    private let entryInput = FloatBuffer()
    private let crossTargetPart = FloatBuffer()
    private let entryMean = FloatBuffer()
    private let targetSkips: [FloatBuffer]
    private let entrySkips: [FloatBuffer]
    private let targetA = FloatBuffer(), targetB = FloatBuffer()
    private let entriesA = FloatBuffer(), entriesB = FloatBuffer(), crossOutput = FloatBuffer()
    private let logitBuffer = FloatBuffer()
    private var preparedEntries = -1

    /// Called after every CrossBlock with its name ("enc0", "dec1", ...), the target output
    /// [h][w][F] and the entry outputs [N][h][w][F] (nil where not computed), channels-last.
    /// For tests that compare intermediates with PyTorch; nil in normal use.
    var trace: ((_ name: String, _ target: [Float], _ context: [Float]?) -> Void)?

    /// Builds the network from `weights`, whose configuration is read from its metadata and shapes
    /// and checked tensor by tensor (a missing or misshaped one is a `WeightsValidationError` naming it).
    public convenience init(weights: WeightsFile, threads: Int = 1, parallelism: Parallelism = .chunks) throws {
        let configuration = try NetworkConfiguration(weights: weights)
        try self.init(configuration: configuration, weights: weights, threads: threads, parallelism: parallelism)
    }

    /// A network with fixed-seed random weights (for benchmarks and tests).
    public convenience init(
        randomConfiguration configuration: NetworkConfiguration, seed: UInt64 = 0,
        threads: Int = 1, parallelism: Parallelism = .chunks
    ) throws {
        try self.init(configuration: configuration, weights: configuration.randomWeights(seed: seed),
                      threads: threads, parallelism: parallelism)
    }

    /// Builds the network for `configuration` from `weights` (validated against it first).
    /// `threads`: threads for the kernels; `parallelism`: how im2col + sgemm uses them.
    public init(
        configuration: NetworkConfiguration, weights: WeightsFile,
        threads: Int = 1, parallelism: Parallelism = .chunks
    ) throws {
        guard configuration.architecture == .multiverseg else {
            throw NetworkError.invalidConfiguration(reason: "MultiverSegNetwork needs 'multiverseg' weights, got '\(configuration.architecture.rawValue)'")
        }
        try configuration.validate(weights)
        self.configuration = configuration
        self.threads = max(1, threads)
        self.parallelism = parallelism
        self.workspace = KernelWorkspace(
            threads: self.threads, chunkWorkers: parallelism == .chunks ? self.threads : 1)

        func block(_ prefix: String, targetChannels: Int) -> CrossBlock {
            CrossBlock(tensors: weights.tensors, prefix: prefix + ".", targetChannels: targetChannels)
        }
        let features = configuration.features
        let levels = configuration.levels
        encoder = (0..<levels).map { i in
            block("enc_blocks.\(i)", targetChannels: i == 0 ? configuration.targetChannels : features[i - 1])
        }
        var previous = features[levels - 1]
        var decoderBlocks: [CrossBlock] = []
        for j in 0..<(levels - 1) {
            let skip = features[levels - 2 - j]
            decoderBlocks.append(block("dec_blocks.\(j)", targetChannels: previous + skip))
            previous = skip
        }
        decoder = decoderBlocks
        outConv = PackedConvolution(weight: weights.tensors["out_conv.conv.weight"]!,
                                    bias: weights.tensors["out_conv.conv.bias"]!)
        targetSkips = (0..<max(0, levels - 1)).map { _ in FloatBuffer() }
        entrySkips = (0..<max(0, levels - 1)).map { _ in FloatBuffer() }
    }

    /// Logits [R*R] for `target` ([5][R][R]) given `context` (an empty one becomes one entry of
    /// 0.5s, as the authors do).
    public func logits(target: [Float], context: [ContextPair]) throws -> [Float] {
        let r = resolution
        let pixels = r * r
        guard target.count == configuration.targetChannels * pixels else {
            throw NetworkError.wrongTargetSize(expected: configuration.targetChannels * pixels, found: target.count)
        }
        for (i, pair) in context.enumerated() where pair.image.count != pixels || pair.mask.count != pixels {
            throw NetworkError.wrongContextSize(entry: i, expected: pixels, found: pair.image.count)
        }
        let entries = max(1, context.count)
        prepare(entries: entries)
        workspace.claimBLASThreads()

        // Target: [C][R][R] -> [R][R][C].
        let channels = configuration.targetChannels
        target.withUnsafeBufferPointer { source in
            let destination = targetInput.pointer
            for c in 0..<channels {
                for p in 0..<pixels { destination[p * channels + c] = source[c * pixels + p] }
            }
        }
        // Entries: image and mask interleaved, [N][R][R][2].
        let entryPointer = entryInput.pointer
        if context.isEmpty {
            entryPointer.update(repeating: 0.5, count: 2 * pixels)
        } else {
            for (n, pair) in context.enumerated() {
                let base = entryPointer + n * 2 * pixels
                pair.image.withUnsafeBufferPointer { image in
                    pair.mask.withUnsafeBufferPointer { mask in
                        for p in 0..<pixels {
                            base[2 * p] = image[p]
                            base[2 * p + 1] = mask[p]
                        }
                    }
                }
            }
        }
        forward(entries: entries)
        return Array(UnsafeBufferPointer(start: logitBuffer.pointer, count: pixels))
    }

    /// Grows the activation buffers for `entries` context entries (no-op when already big enough).
    private func prepare(entries: Int) {
        if entries <= preparedEntries { return }
        let features = configuration.features
        let levels = configuration.levels
        let widest = features.max()!
        let r = resolution
        let pixels = r * r
        targetInput.reserve(pixels * configuration.targetChannels)
        entryInput.reserve(entries * pixels * configuration.contextChannels)
        crossTargetPart.reserve(pixels * widest)
        entryMean.reserve(pixels * widest)
        targetA.reserve(pixels * widest)
        targetB.reserve(pixels * widest)
        for l in 0..<(levels - 1) {
            let levelPixels = pixels >> (2 * l)
            targetSkips[l].reserve(levelPixels * features[l])
            entrySkips[l].reserve(entries * levelPixels * features[l])
        }
        // entriesA: pooled inputs (levels >= 1) and upsampled inputs (every decoder level);
        // entriesB: entry outputs below level 0 only (level 0's go to the skip, and the last
        // decoder block's entry branch is never computed: nothing reads it).
        entriesA.reserve(entries * pixels * widest)
        entriesB.reserve(entries * (levels > 1 ? pixels / 4 : pixels) * widest)
        crossOutput.reserve(entries * pixels * widest)
        logitBuffer.reserve(pixels)
        preparedEntries = entries
    }

    /// Bytes held in activations and scratch (for memory reports).
    public var bufferBytes: Int {
        var total = [targetInput, entryInput, crossTargetPart, entryMean, targetA, targetB,
                     entriesA, entriesB, crossOutput, logitBuffer].reduce(0) { $0 + $1.bytes }
        total += (targetSkips + entrySkips).reduce(0) { $0 + $1.bytes }
        return total + workspace.scratchBytes
    }

    private func forward(entries: Int) {
        let levels = configuration.levels
        var size = resolution
        var target = (FeatureSource(targetInput.pointer, channels: configuration.targetChannels), FeatureSource?.none)
        var context = (FeatureSource(entryInput.pointer, channels: configuration.contextChannels), FeatureSource?.none)

        // Encoder: block, keep the skip, pool.
        for l in 0..<levels {
            let last = l == levels - 1
            let targetOut = last ? targetB.pointer : targetSkips[l].pointer
            let entriesOut = last ? entriesB.pointer : entrySkips[l].pointer
            crossBlock(encoder[l], name: "enc\(l)", target: target, context: context, entries: entries, size: size,
                       targetOutput: targetOut, entryOutput: entriesOut)
            if !last {
                let f = encoder[l].features
                maxPool2x2(input: targetOut, output: targetA.pointer, entries: 1, height: size, width: size,
                           channels: f, workspace: workspace)
                maxPool2x2(input: entriesOut, output: entriesA.pointer, entries: entries, height: size,
                           width: size, channels: f, workspace: workspace)
                size /= 2
                target = (FeatureSource(targetA.pointer, channels: f), nil)
                context = (FeatureSource(entriesA.pointer, channels: f), nil)
            }
        }
        // Decoder: upsample, concatenate the skip (inside im2col), block.
        var previous = encoder[levels - 1].features
        for (j, block) in decoder.enumerated() {
            let l = levels - 2 - j
            upsampleBilinear2x(input: targetB.pointer, output: targetA.pointer, entries: 1, height: size,
                               width: size, channels: previous, workspace: workspace)
            upsampleBilinear2x(input: entriesB.pointer, output: entriesA.pointer, entries: entries,
                               height: size, width: size, channels: previous, workspace: workspace)
            size *= 2
            let skipChannels = encoder[l].features
            crossBlock(
                block, name: "dec\(j)",
                target: (FeatureSource(targetA.pointer, channels: previous),
                         FeatureSource(targetSkips[l].pointer, channels: skipChannels)),
                context: (FeatureSource(entriesA.pointer, channels: previous),
                          FeatureSource(entrySkips[l].pointer, channels: skipChannels)),
                entries: entries, size: size,
                targetOutput: targetB.pointer, entryOutput: l == 0 ? nil : entriesB.pointer)
            previous = block.features
        }
        conv1x1(input: targetB.pointer, inChannels: previous, rows: size * size, pixels: size * size,
                weights: outConv.weights.pointer, outChannels: 1, output: logitBuffer.pointer,
                epilogue: .bias(outConv.bias!.pointer), workspace: workspace)
    }

    private func crossBlock(
        _ block: CrossBlock, name: String,
        target: (FeatureSource, FeatureSource?), context: (FeatureSource, FeatureSource?),
        entries: Int, size: Int,
        targetOutput: UnsafeMutablePointer<Float>, entryOutput: UnsafeMutablePointer<Float>?
    ) {
        block.run(target: target, context: context, entries: entries, height: size, width: size,
                  targetOutput: targetOutput, entryOutput: entryOutput,
                  scratch: .init(targetPart: crossTargetPart.pointer, cross: crossOutput.pointer, mean: entryMean.pointer),
                  workspace: workspace)
        if let trace {
            let count = size * size * block.features
            trace(name, Array(UnsafeBufferPointer(start: targetOutput, count: count)),
                  entryOutput.map { Array(UnsafeBufferPointer(start: $0, count: entries * count)) })
        }
    }
}
