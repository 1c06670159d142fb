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
    public let configuration: NetworkConfiguration
    public var resolution: Int { configuration.resolution }
    /// Threads used by the kernels (and OpenBLAS, depending on `parallelism`).
    public let threads: Int
    /// The authors' LeakyReLU (nn.LeakyReLU() default).
    static let slope: Float = 0.01

    /// How the threads are used.
    public enum Parallelism: String, Sendable, CaseIterable {
        /// Our workers each run whole convolution chunks with a single-threaded sgemm (default).
        case chunks
        /// Chunks run one after another; OpenBLAS splits each product over the threads.
        case blas
    }

    private struct CrossBlockWeights {
        let crossTarget: PackedConvolution   // W_q and the bias
        let crossEntry: PackedConvolution    // W_v, no bias
        let targetConv: PackedConvolution
        let targetGamma: FloatBuffer, targetBeta: FloatBuffer
        let supportConv: PackedConvolution
        let supportGamma: FloatBuffer, supportBeta: FloatBuffer
        let features: Int
    }

    private let encoder: [CrossBlockWeights]
    private let decoder: [CrossBlockWeights]
    private let outConv: PackedConvolution
    let workspace: KernelWorkspace
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

    /// Builds the network from `weights`, whose configuration is read from its metadata and shapes
    /// and checked tensor by tensor (`NetworkError.missingTensor` / `.misshapedTensor`).
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

        func block(_ prefix: String, targetChannels: Int) -> CrossBlockWeights {
            let t = weights.tensors
            let cross = t["\(prefix).cross.cross_conv.weight"]!
            let total = cross.shape[1]
            return CrossBlockWeights(
                crossTarget: PackedConvolution(weight: cross, bias: t["\(prefix).cross.cross_conv.bias"]!,
                                               channels: 0..<targetChannels),
                crossEntry: PackedConvolution(weight: cross, bias: nil, channels: targetChannels..<total),
                targetConv: PackedConvolution(weight: t["\(prefix).target.vmapped.conv.weight"]!,
                                              bias: t["\(prefix).target.vmapped.conv.bias"]!),
                targetGamma: FloatBuffer(t["\(prefix).target.vmapped.norml.weight"]!.values),
                targetBeta: FloatBuffer(t["\(prefix).target.vmapped.norml.bias"]!.values),
                supportConv: PackedConvolution(weight: t["\(prefix).support.vmapped.conv.weight"]!,
                                               bias: t["\(prefix).support.vmapped.conv.bias"]!),
                supportGamma: FloatBuffer(t["\(prefix).support.vmapped.norml.weight"]!.values),
                supportBeta: FloatBuffer(t["\(prefix).support.vmapped.norml.bias"]!.values),
                features: cross.shape[0])
        }
        let features = configuration.features
        let levels = configuration.levels
        encoder = (0..<levels).map { i in
            block("enc_blocks.\(i)", targetChannels: i == 0 ? configuration.targetChannels : features[i - 1])
        }
        var previous = features[levels - 1]
        var decoderBlocks: [CrossBlockWeights] = []
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
        BLAS.setThreadCount(parallelism == .chunks ? 1 : self.threads)
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
            crossBlock(encoder[l], target: target, context: context, entries: entries, size: size,
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
                block,
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

    // CrossBlock (authors' MultiverSegNet with conv norm "layer"):
    //   z_i = LeakyReLU(Conv(q; W_q) + b + Conv(v_i; W_v))          [N][H][W][F]
    //   q'  = LayerNorm(LeakyReLU(Conv(mean_i z_i; W_t) + b_t))      [H][W][F]
    //   v_i'= LayerNorm(LeakyReLU(Conv(z_i; W_s) + b_s))             [N][H][W][F]
    // `entryOutput` nil skips v' (the last decoder block's, which nothing reads).
    private func crossBlock(
        _ block: CrossBlockWeights,
        target: (FeatureSource, FeatureSource?), context: (FeatureSource, FeatureSource?),
        entries: Int, size: Int,
        targetOutput: UnsafeMutablePointer<Float>, entryOutput: UnsafeMutablePointer<Float>?
    ) {
        let f = block.features
        let pixels = size * size
        conv3x3(first: target.0, second: target.1, entries: 1, height: size, width: size,
                weights: block.crossTarget.weights.pointer, outChannels: f, output: crossTargetPart.pointer,
                epilogue: .bias(block.crossTarget.bias!.pointer), workspace: workspace)
        conv3x3(first: context.0, second: context.1, entries: entries, height: size, width: size,
                weights: block.crossEntry.weights.pointer, outChannels: f, output: crossOutput.pointer,
                epilogue: .addPixelLeakyReLU(crossTargetPart.pointer, slope: Self.slope), workspace: workspace)
        meanOverEntries(input: crossOutput.pointer, output: entryMean.pointer, entries: entries,
                        count: pixels * f, workspace: workspace)
        conv3x3(first: FeatureSource(entryMean.pointer, channels: f), entries: 1, height: size, width: size,
                weights: block.targetConv.weights.pointer, outChannels: f, output: targetOutput,
                epilogue: .biasLeakyReLU(block.targetConv.bias!.pointer, slope: Self.slope), workspace: workspace)
        layerNorm(targetOutput, entries: 1, pixels: pixels, channels: f,
                  gamma: block.targetGamma.pointer, beta: block.targetBeta.pointer, workspace: workspace)
        if let entryOutput {
            conv3x3(first: FeatureSource(crossOutput.pointer, channels: f), entries: entries, height: size,
                    width: size, weights: block.supportConv.weights.pointer, outChannels: f, output: entryOutput,
                    epilogue: .biasLeakyReLU(block.supportConv.bias!.pointer, slope: Self.slope),
                    workspace: workspace)
            layerNorm(entryOutput, entries: entries, pixels: pixels, channels: f,
                      gamma: block.supportGamma.pointer, beta: block.supportBeta.pointer, workspace: workspace)
        }
    }
}
