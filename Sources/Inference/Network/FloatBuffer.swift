/// Floats at a stable address, owned by a network: packed weights (filled once) and activations
/// (grown to the largest context seen, then reused so steady-state passes allocate nothing).
final class FloatBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init(capacity: Int = 0) {
        self.capacity = max(1, capacity)
        pointer = .allocate(capacity: self.capacity)
    }

    convenience init(_ values: [Float]) {
        self.init(capacity: values.count)
        values.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    /// Makes room for `count` floats (contents are not kept when it grows).
    func reserve(_ count: Int) {
        if count <= capacity { return }
        pointer.deallocate()
        pointer = .allocate(capacity: count)
        capacity = count
    }

    var bytes: Int { capacity * MemoryLayout<Float>.stride }
}

/// One 3x3 (or 1x1) convolution's parameters, packed for the im2col product.
struct PackedConvolution {
    let weights: FloatBuffer
    /// Winograd F(2x2, 3x3) weights [16][cin][cout] (3x3 kernels; every CPU runs some Winograd kernels).
    let winograd: FloatBuffer?
    let bias: FloatBuffer?
    let inChannels: Int
    let outChannels: Int

    /// Packs input channels `channels` of OIHW tensor `weight` (and `bias`, if given).
    init(weight: Tensor, bias: Tensor?, channels: Range<Int>? = nil) {
        precondition(weight.shape.count == 4 && weight.shape[2] == weight.shape[3], "not a square conv weight")
        let range = channels ?? 0..<weight.shape[1]
        self.weights = FloatBuffer(packConvolutionWeights(
            oihw: weight.values, outChannels: weight.shape[0], inChannels: weight.shape[1],
            kernelSize: weight.shape[2], channels: range))
        self.winograd = weight.shape[2] == 3
            ? FloatBuffer(winogradTransformWeights(oihw: weight.values, outChannels: weight.shape[0],
                                                   inChannels: weight.shape[1], channels: range))
            : nil
        self.bias = bias.map { FloatBuffer($0.values) }
        self.inChannels = range.count
        self.outChannels = weight.shape[0]
    }
}
