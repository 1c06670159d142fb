import Foundation
import Testing
@testable import Inference

/// Reads a golden fixture (Fixtures/golden/<name>.safetensors, written by Training/fixtures/make_golden.py).
func goldenFixture(_ name: String) throws -> WeightsFile {
    guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors",
                                      subdirectory: "Fixtures/golden") else {
        Issue.record("golden fixture \(name).safetensors is missing from the test bundle")
        throw CocoaError(.fileNoSuchFile)
    }
    return try SafeTensors.read(contentsOf: url.path)
}

/// `[N][C][H][W]` (PyTorch) -> `[N][H][W][C]` (ours).
func channelsLast(_ values: [Float], n: Int, c: Int, h: Int, w: Int) -> [Float] {
    precondition(values.count == n * c * h * w)
    var out = [Float](repeating: 0, count: values.count)
    for i in 0..<n { for ch in 0..<c { for p in 0..<(h * w) {
        out[(i * h * w + p) * c + ch] = values[(i * c + ch) * h * w + p]
    } } }
    return out
}

/// `[N][H][W][C]` (ours) -> `[N][C][H][W]` (PyTorch).
func channelsFirst(_ values: [Float], n: Int, c: Int, h: Int, w: Int) -> [Float] {
    precondition(values.count == n * c * h * w)
    var out = [Float](repeating: 0, count: values.count)
    for i in 0..<n { for ch in 0..<c { for p in 0..<(h * w) {
        out[(i * c + ch) * h * w + p] = values[(i * h * w + p) * c + ch]
    } } }
    return out
}

/// Expects |got - want| <= absolute + relative·|want| everywhere and prints the largest difference.
/// Returns the largest absolute difference.
@discardableResult
func expectClose(
    _ got: [Float], _ want: [Float], absolute: Float, relative: Float, _ label: String,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Float {
    #expect(got.count == want.count, "\(label): \(got.count) values, expected \(want.count)", sourceLocation: sourceLocation)
    var maxDifference: Float = 0
    var worst = 0
    var failures = 0
    for i in 0..<min(got.count, want.count) {
        let difference = abs(got[i] - want[i])
        if !(difference <= absolute + relative * abs(want[i])) { failures += 1 }
        if !(difference <= maxDifference) { maxDifference = difference; worst = i }
    }
    print("\(label): max |difference| = \(maxDifference) at \(worst) of \(got.count)")
    #expect(failures == 0, "\(label): \(failures) values off, max |difference| \(maxDifference) at \(worst)",
            sourceLocation: sourceLocation)
    return maxDifference
}

/// Runs `body` with mutable pointers to copies of `arrays`, returning the (possibly changed) copies.
func withPointers(_ a: inout [Float], _ body: (UnsafeMutablePointer<Float>) -> Void) {
    a.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

/// Direct (six-loop) 3x3 convolution with zero padding 1 on channels-last data: the definition,
/// for checking the im2col path on random data.
func referenceConv3x3(
    input: [Float], n: Int, h: Int, w: Int, cin: Int, oihw: [Float], bias: [Float], cout: Int
) -> [Float] {
    var out = [Float](repeating: 0, count: n * h * w * cout)
    for i in 0..<n { for y in 0..<h { for x in 0..<w { for co in 0..<cout {
        var sum = Double(bias[co])
        for ky in 0..<3 { for kx in 0..<3 {
            let sy = y + ky - 1, sx = x + kx - 1
            guard sy >= 0, sy < h, sx >= 0, sx < w else { continue }
            for ci in 0..<cin {
                sum += Double(input[((i * h + sy) * w + sx) * cin + ci]) * Double(oihw[((co * cin + ci) * 3 + ky) * 3 + kx])
            }
        } }
        out[((i * h + y) * w + x) * cout + co] = Float(sum)
    } } } }
    return out
}

/// Deterministic pseudo-random floats in -1...1.
func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in Float(Double(generator.next() >> 11) * 0x1.0p-53 * 2 - 1) }
}

/// The 3x3 convolution algorithms this machine can run: im2col + sgemm and the portable kernels
/// always, the AVX2, AVX-512 and NEON kernels where the CPU has them, each Winograd and direct.
let convolutionBackends = ConvolutionAlgorithm.available

/// Runs `body` with the Winograd weights of OIHW `oihw`.
func withWinogradWeights<R>(
    oihw: [Float], outChannels: Int, inChannels: Int, _ body: (UnsafePointer<Float>?) -> R
) -> R {
    let transformed = winogradTransformWeights(oihw: oihw, outChannels: outChannels, inChannels: inChannels,
                                               channels: 0..<inChannels)
    return transformed.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Expects that the convolutions of `workspace` ran exactly the kernels `algorithm` names (none for
/// im2col + sgemm): the C side would quietly run the portable ones in place of kernels the CPU lacks.
func expectKernelsRan(_ algorithm: ConvolutionAlgorithm, _ workspace: KernelWorkspace,
                      sourceLocation: SourceLocation = #_sourceLocation) {
    let want: Set<ConvolutionKernels> = algorithm.kernels.map { [$0] } ?? []
    #expect(workspace.kernelsRan == want, "\(algorithm.rawValue) ran \(workspace.kernelsRan)",
            sourceLocation: sourceLocation)
}
