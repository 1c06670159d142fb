/// One CrossBlock of MultiverSeg with its packed parameters (the authors' `CrossBlock` with
/// cross nonlinearity LeakyReLU and conv norm "layer").
///
///     z_i  = LeakyReLU(Conv(q; W_q) + b + Conv(v_i; W_v))        [N][h][w][F]
///     q'   = LayerNorm(LeakyReLU(Conv(mean_i z_i; W_t) + b_t))    [h][w][F]
///     v_i' = LayerNorm(LeakyReLU(Conv(z_i; W_s) + b_s))           [N][h][w][F]
///
/// The cross-convolution's weight is split by input channel: the target part (with the bias) runs
/// once, the entry part for all entries in one batched product, and the two are added in the
/// product's epilogue — no concatenation, no per-entry copy of the target.
struct CrossBlock {
    /// The authors' LeakyReLU (nn.LeakyReLU() default slope).
    static let slope: Float = 0.01

    let crossTarget: PackedConvolution
    let crossEntry: PackedConvolution
    let targetConv: PackedConvolution
    let targetGamma: FloatBuffer, targetBeta: FloatBuffer
    let supportConv: PackedConvolution
    let supportGamma: FloatBuffer, supportBeta: FloatBuffer
    let features: Int

    /// Scratch the block writes between its convolutions (sized by the caller).
    struct Scratch {
        /// Conv(q; W_q) + b: [h][w][F].
        var targetPart: UnsafeMutablePointer<Float>
        /// z: [N][h][w][F].
        var cross: UnsafeMutablePointer<Float>
        /// mean_i z_i: [h][w][F].
        var mean: UnsafeMutablePointer<Float>
    }

    /// Reads `<prefix>cross.cross_conv.*`, `<prefix>{target,support}.vmapped.{conv,norml}.*`
    /// (shapes already validated); the first `targetChannels` input channels belong to the target.
    init(tensors t: [String: Tensor], prefix: String, targetChannels: Int) {
        let cross = t["\(prefix)cross.cross_conv.weight"]!
        let total = cross.shape[1]
        crossTarget = PackedConvolution(weight: cross, bias: t["\(prefix)cross.cross_conv.bias"]!,
                                        channels: 0..<targetChannels)
        crossEntry = PackedConvolution(weight: cross, bias: nil, channels: targetChannels..<total)
        targetConv = PackedConvolution(weight: t["\(prefix)target.vmapped.conv.weight"]!,
                                       bias: t["\(prefix)target.vmapped.conv.bias"]!)
        targetGamma = FloatBuffer(t["\(prefix)target.vmapped.norml.weight"]!.values)
        targetBeta = FloatBuffer(t["\(prefix)target.vmapped.norml.bias"]!.values)
        supportConv = PackedConvolution(weight: t["\(prefix)support.vmapped.conv.weight"]!,
                                        bias: t["\(prefix)support.vmapped.conv.bias"]!)
        supportGamma = FloatBuffer(t["\(prefix)support.vmapped.norml.weight"]!.values)
        supportBeta = FloatBuffer(t["\(prefix)support.vmapped.norml.bias"]!.values)
        features = cross.shape[0]
    }

    // run: target (q, [h][w][Cq] as one or two concatenated sources), context (v, [N][h][w][Cv]
    // likewise) -> targetOutput [h][w][F], entryOutput [N][h][w][F]. `entryOutput` nil skips v'
    // (the last decoder block's, which nothing reads). Outputs must not alias the inputs or scratch.
    // PyTorch: CrossBlock.forward(target [1,1,Cq,h,w], support [1,N,Cv,h,w]).
    func run(
        target: (FeatureSource, FeatureSource?), context: (FeatureSource, FeatureSource?),
        entries: Int, height: Int, width: Int,
        targetOutput: UnsafeMutablePointer<Float>, entryOutput: UnsafeMutablePointer<Float>?,
        scratch: Scratch, workspace: KernelWorkspace
    ) {
        let f = features
        let pixels = height * width
        conv3x3(first: target.0, second: target.1, entries: 1, height: height, width: width,
                weights: crossTarget.weights.pointer, winogradWeights: crossTarget.winograd?.pointer,
                outChannels: f, output: scratch.targetPart,
                epilogue: .bias(crossTarget.bias!.pointer), workspace: workspace)
        conv3x3(first: context.0, second: context.1, entries: entries, height: height, width: width,
                weights: crossEntry.weights.pointer, winogradWeights: crossEntry.winograd?.pointer,
                outChannels: f, output: scratch.cross,
                epilogue: .addPixelLeakyReLU(scratch.targetPart, slope: Self.slope), workspace: workspace)
        meanOverEntries(input: scratch.cross, output: scratch.mean, entries: entries,
                        count: pixels * f, workspace: workspace)
        conv3x3(first: FeatureSource(scratch.mean, channels: f), entries: 1, height: height, width: width,
                weights: targetConv.weights.pointer, winogradWeights: targetConv.winograd?.pointer,
                outChannels: f, output: targetOutput,
                epilogue: .biasLeakyReLU(targetConv.bias!.pointer, slope: Self.slope), workspace: workspace)
        layerNorm(targetOutput, entries: 1, pixels: pixels, channels: f,
                  gamma: targetGamma.pointer, beta: targetBeta.pointer, workspace: workspace)
        if let entryOutput {
            conv3x3(first: FeatureSource(scratch.cross, channels: f), entries: entries, height: height,
                    width: width, weights: supportConv.weights.pointer, winogradWeights: supportConv.winograd?.pointer,
                    outChannels: f, output: entryOutput,
                    epilogue: .biasLeakyReLU(supportConv.bias!.pointer, slope: Self.slope), workspace: workspace)
            layerNorm(entryOutput, entries: entries, pixels: pixels, channels: f,
                      gamma: supportGamma.pointer, beta: supportBeta.pointer, workspace: workspace)
        }
    }
}
