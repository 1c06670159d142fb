// leakyReLU: x[i] = x[i] > 0 ? x[i] : slope * x[i] for i in 0..<count, in place.
// PyTorch: F.leaky_relu(x, slope) (nn.LeakyReLU() uses slope 0.01).
public func leakyReLU(_ x: UnsafeMutablePointer<Float>, count: Int, slope: Float) {
    for i in 0..<count {
        let v = x[i]
        x[i] = v > 0 ? v : v * slope
    }
}

// prelu: x[p][c] = x[p][c] > 0 ? x[p][c] : a · x[p][c], with a = slopes[0] (slopeCount 1) or
// slopes[c]; x is channels-last [count / channels][channels], in place.
// PyTorch: F.prelu(x, weight) on NCHW (nn.PReLU() has one slope, initialised to 0.25).
public func prelu(
    _ x: UnsafeMutablePointer<Float>, count: Int, channels: Int,
    slopes: UnsafePointer<Float>, slopeCount: Int
) {
    precondition(slopeCount == 1 || slopeCount == channels, "PReLU needs one slope or one per channel")
    precondition(count % channels == 0, "count is not a whole number of pixels")
    var i = 0
    while i < count {
        for c in 0..<channels {
            let v = x[i + c]
            let a = slopeCount == 1 ? slopes[0] : slopes[c]
            x[i + c] = v > 0 ? v : v * a
        }
        i += channels
    }
}
