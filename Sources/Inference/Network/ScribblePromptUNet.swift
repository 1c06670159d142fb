/// The authors' interactive-only ScribblePrompt-UNet on the CPU: the same 5-channel target input,
/// no context. MultiverSeg uses it for the first image of a task when the authors' weights pair is
/// loaded.
///
/// Architecture (authors' `UNet(features=[f]*L)`): L down convolutions each followed by max-pool,
/// a bottleneck convolution, then L times: bilinear x2 (corners aligned), concatenate
/// (skip, upsampled) on channels, convolution; every convolution 3x3 + PReLU; a final 1x1
/// convolution gives the logits.
///
/// ```swift
/// let unet = try ScribblePromptUNet(weights: try SafeTensors.read(path), threads: 2)
/// let logits = try unet.logits(target: fiveChannels, context: [])
/// ```
public final class ScribblePromptUNet: SegmentationNetwork {
    /// Architecture, features per level, resolution and input channels.
    public let configuration: NetworkConfiguration
    /// Side of the square input and output.
    public var resolution: Int { configuration.resolution }
    /// Threads used by the kernels.
    public let threads: Int

    private struct Layer {
        let conv: PackedConvolution
        let slopes: FloatBuffer
        let slopeCount: Int
    }

    private let downs: [Layer]
    private let bottleneck: Layer
    private let ups: [Layer]
    private let finalConv: PackedConvolution
    let workspace: KernelWorkspace

    /// How 3x3 convolutions are computed (default: `ConvolutionAlgorithm.default`); one this CPU
    /// cannot run is ignored.
    public var convolutionAlgorithm: ConvolutionAlgorithm {
        get { workspace.algorithm }
        set { if ConvolutionAlgorithm.available.contains(newValue) { workspace.algorithm = newValue } }
    }

    private let input = FloatBuffer()
    private let skips: [FloatBuffer]
    private let bufferA = FloatBuffer(), bufferB = FloatBuffer(), upsampled = FloatBuffer()
    private let logitBuffer = FloatBuffer()

    /// Builds the network from `weights`, whose configuration is read from its metadata and shapes
    /// and checked tensor by tensor (a missing or misshaped one is a `WeightsValidationError`).
    public convenience init(weights: WeightsFile, threads: Int = 1) throws {
        let configuration = try NetworkConfiguration(weights: weights)
        try self.init(configuration: configuration, weights: weights, threads: threads)
    }

    /// A network with fixed-seed random weights (for benchmarks and tests).
    public convenience init(randomConfiguration configuration: NetworkConfiguration, seed: UInt64 = 0, threads: Int = 1) throws {
        try self.init(configuration: configuration, weights: configuration.randomWeights(seed: seed), threads: threads)
    }

    /// Builds the network for `configuration` from `weights` (validated against it first).
    public init(configuration: NetworkConfiguration, weights: WeightsFile, threads: Int = 1) throws {
        guard configuration.architecture == .scribblepromptUNet else {
            throw NetworkError.invalidConfiguration(reason: "ScribblePromptUNet needs 'scribbleprompt-unet' weights, got '\(configuration.architecture.rawValue)'")
        }
        try configuration.validate(weights)
        self.configuration = configuration
        self.threads = max(1, threads)
        workspace = KernelWorkspace(threads: self.threads)
        func layer(_ prefix: String) -> Layer {
            let t = weights.tensors
            let slopes = t["\(prefix).conv.1.weight"]!
            return Layer(conv: PackedConvolution(weight: t["\(prefix).conv.0.weight"]!, bias: t["\(prefix).conv.0.bias"]!),
                         slopes: FloatBuffer(slopes.values), slopeCount: slopes.count)
        }
        let levels = configuration.levels
        downs = (0..<levels).map { layer("downs.\($0)") }
        bottleneck = layer("bottleneck")
        ups = (0..<levels).map { layer("ups.\(2 * $0 + 1)") }
        finalConv = PackedConvolution(weight: weights.tensors["final_conv.conv.0.weight"]!,
                                      bias: weights.tensors["final_conv.conv.0.bias"]!)
        let pixels = configuration.resolution * configuration.resolution
        let widest = configuration.features.max()!
        input.reserve(pixels * configuration.targetChannels)
        skips = configuration.features.enumerated().map { l, f in FloatBuffer(capacity: (pixels >> (2 * l)) * f) }
        bufferA.reserve(pixels * widest)
        bufferB.reserve(pixels * widest)
        upsampled.reserve(pixels * widest)
        logitBuffer.reserve(pixels)
    }

    /// Logits [R*R] for `target` ([5][R][R]); `context` is ignored (this network has none).
    public func logits(target: [Float], context: [ContextPair]) throws -> [Float] {
        let r = resolution
        let pixels = r * r
        let channels = configuration.targetChannels
        guard target.count == channels * pixels else {
            throw NetworkError.wrongTargetSize(expected: channels * pixels, found: target.count)
        }
        target.withUnsafeBufferPointer { source in
            for c in 0..<channels {
                for p in 0..<pixels { input.pointer[p * channels + c] = source[c * pixels + p] }
            }
        }
        workspace.claimBLASThreads()
        forward()
        return Array(UnsafeBufferPointer(start: logitBuffer.pointer, count: pixels))
    }

    private func forward() {
        let features = configuration.features
        let levels = configuration.levels
        var size = resolution
        var current = FeatureSource(input.pointer, channels: configuration.targetChannels)
        for l in 0..<levels {
            run(downs[l], first: current, second: nil, size: size, output: skips[l].pointer)
            maxPool2x2(input: skips[l].pointer, output: bufferA.pointer, entries: 1, height: size, width: size,
                       channels: features[l], workspace: workspace)
            size /= 2
            current = FeatureSource(bufferA.pointer, channels: features[l])
        }
        run(bottleneck, first: current, second: nil, size: size, output: bufferB.pointer)
        var channels = bottleneck.conv.outChannels
        for j in 0..<levels {
            let l = levels - 1 - j
            upsampleBilinear2x(input: bufferB.pointer, output: upsampled.pointer, entries: 1, height: size,
                               width: size, channels: channels, workspace: workspace)
            size *= 2
            // The authors concatenate (skip, upsampled), in that order.
            run(ups[j], first: FeatureSource(skips[l].pointer, channels: features[l]),
                second: FeatureSource(upsampled.pointer, channels: channels), size: size, output: bufferB.pointer)
            channels = ups[j].conv.outChannels
        }
        conv1x1(input: bufferB.pointer, inChannels: channels, rows: size * size, pixels: size * size,
                weights: finalConv.weights.pointer, outChannels: 1, output: logitBuffer.pointer,
                epilogue: .bias(finalConv.bias!.pointer), workspace: workspace)
    }

    private func run(_ layer: Layer, first: FeatureSource, second: FeatureSource?, size: Int,
                     output: UnsafeMutablePointer<Float>) {
        conv3x3(first: first, second: second, entries: 1, height: size, width: size,
                weights: layer.conv.weights.pointer, winogradWeights: layer.conv.winograd?.pointer,
                outChannels: layer.conv.outChannels, output: output,
                epilogue: .biasPReLU(layer.conv.bias!.pointer, slopes: layer.slopes.pointer, slopeCount: layer.slopeCount),
                workspace: workspace)
    }
}
