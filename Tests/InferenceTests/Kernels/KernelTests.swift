import Testing
@testable import Inference

/// Kernels on inputs whose outputs can be worked out by hand.
@Suite struct KernelTests {
    @Test(arguments: convolutionBackends)
    func allOnesConvCountsTheTapsInsideTheImage(algorithm: ConvolutionAlgorithm) {
        // 4x5 image of ones, one channel, all-ones 3x3 kernel: 4 at corners, 6 on edges, 9 inside.
        let input = [Float](repeating: 1, count: 20)
        let weights = packConvolutionWeights(oihw: .init(repeating: 1, count: 9), outChannels: 1, inChannels: 1,
                                             kernelSize: 3, channels: 0..<1)
        var output = [Float](repeating: -1, count: 20)
        input.withUnsafeBufferPointer { i in
            weights.withUnsafeBufferPointer { wt in
                withPointers(&output) { o in
                    conv3x3(first: FeatureSource(i.baseAddress!, channels: 1), entries: 1, height: 4, width: 5,
                            weights: wt.baseAddress!, outChannels: 1, output: o, epilogue: .none,
                            workspace: KernelWorkspace(algorithm: algorithm))
                }
            }
        }
        #expect(output == [4, 6, 6, 6, 4,
                           6, 9, 9, 9, 6,
                           6, 9, 9, 9, 6,
                           4, 6, 6, 6, 4])
    }

    @Test(arguments: convolutionBackends)
    func twoSourcesActAsTheirConcatenationAndEntriesStayApart(algorithm: ConvolutionAlgorithm) {
        // Entry 0 all 1s, entry 1 all 2s; first source 1 channel, second 2 channels; weights all 1,
        // bias 0.5: interior = 9·3·value + 0.5, corner = 4·3·value + 0.5.
        let (h, w) = (3, 3)
        let first: [Float] = .init(repeating: 1, count: 9) + .init(repeating: 2, count: 9)
        let second: [Float] = .init(repeating: 1, count: 18) + .init(repeating: 2, count: 18)
        let weights = packConvolutionWeights(oihw: .init(repeating: 1, count: 2 * 3 * 9), outChannels: 2,
                                             inChannels: 3, kernelSize: 3, channels: 0..<3)
        let bias: [Float] = [0.5, 0.5]
        var output = [Float](repeating: 0, count: 2 * 9 * 2)
        first.withUnsafeBufferPointer { a in second.withUnsafeBufferPointer { b in
            weights.withUnsafeBufferPointer { wt in bias.withUnsafeBufferPointer { bs in
                withPointers(&output) { o in
                    conv3x3(first: FeatureSource(a.baseAddress!, channels: 1),
                            second: FeatureSource(b.baseAddress!, channels: 2), entries: 2, height: h, width: w,
                            weights: wt.baseAddress!, outChannels: 2, output: o,
                            epilogue: .bias(bs.baseAddress!), workspace: KernelWorkspace(threads: 2, chunkFloats: 27, algorithm: algorithm))
                }
            } }
        } }
        for (entry, value) in [(0, Float(1)), (1, Float(2))] {
            let base = entry * 18
            #expect(output[base + 0] == 12 * value + 0.5)          // corner (0,0), channel 0
            #expect(output[base + 1] == 12 * value + 0.5)          // corner, channel 1
            #expect(output[base + 2] == 18 * value + 0.5)          // edge (0,1)
            #expect(output[base + 4 * 2] == 27 * value + 0.5)      // centre (1,1)
        }
    }

    @Test(arguments: convolutionBackends)
    func chunkedThreadedConvMatchesTheDefinition(algorithm: ConvolutionAlgorithm) {
        // Random data, chunks far smaller than the image and split across two workers.
        let (n, h, w, cin, cout) = (3, 7, 6, 5, 4)
        let input = randomFloats(n * h * w * cin, seed: 1)
        let oihw = randomFloats(cout * cin * 9, seed: 2)
        let bias = randomFloats(cout, seed: 3)
        let want = referenceConv3x3(input: input, n: n, h: h, w: w, cin: cin, oihw: oihw, bias: bias, cout: cout)
        let packed = packConvolutionWeights(oihw: oihw, outChannels: cout, inChannels: cin, kernelSize: 3, channels: 0..<cin)
        for (threads, chunk) in [(1, 1 << 20), (2, 45 * 7), (2, 45)] {
            var got = [Float](repeating: .nan, count: want.count)
            input.withUnsafeBufferPointer { i in packed.withUnsafeBufferPointer { wt in bias.withUnsafeBufferPointer { b in
                withPointers(&got) { o in
                    conv3x3(first: FeatureSource(i.baseAddress!, channels: cin), entries: n, height: h, width: w,
                            weights: wt.baseAddress!, outChannels: cout, output: o, epilogue: .bias(b.baseAddress!),
                            workspace: KernelWorkspace(threads: threads, chunkFloats: chunk, algorithm: algorithm))
                }
            } } }
            expectClose(got, want, absolute: 1e-5, relative: 1e-5,
                        "conv3x3 \(algorithm.rawValue) threads \(threads) chunk \(chunk)")
        }
    }

    @Test(arguments: convolutionBackends)
    func networkSizedConvsMatchTheDefinition(algorithm: ConvolutionAlgorithm) {
        // The channel counts the network uses (32 and 32+32 inputs, which the kernels specialise)
        // and odd ones, on wide and narrow images: output channels that leave a full 1-vector block
        // (48 with 16 lanes, 40 with 8), a partial 1-vector block (5, 40 with 16 lanes) or a partial
        // 2-vector block (28 with 16 or 8 lanes, 5 with 4); input channels with a masked tail in the
        // Winograd input transform (24 with 16 lanes). Even sizes run Winograd where chosen; odd ones
        // and < 16 input channels fall back to direct.
        for (c1, c2, cout, h, w) in [(32, 0, 32, 10, 20), (32, 32, 32, 6, 4), (32, 32, 32, 5, 3), (2, 0, 48, 4, 17),
                                     (24, 40, 5, 4, 2), (16, 0, 40, 2, 2), (24, 40, 5, 3, 1), (24, 0, 28, 4, 6),
                                     (8, 16, 28, 7, 9)] {
            let n = 2
            let cin = c1 + c2
            let first = randomFloats(n * h * w * c1, seed: UInt64(cin))
            let second = randomFloats(n * h * w * max(1, c2), seed: UInt64(cin + 1))
            var joined = [Float](repeating: 0, count: n * h * w * cin)
            for p in 0..<(n * h * w) {
                for c in 0..<c1 { joined[p * cin + c] = first[p * c1 + c] }
                for c in 0..<c2 { joined[p * cin + c1 + c] = second[p * c2 + c] }
            }
            let oihw = randomFloats(cout * cin * 9, seed: UInt64(cout))
            let bias = randomFloats(cout, seed: 9)
            let want = referenceConv3x3(input: joined, n: n, h: h, w: w, cin: cin, oihw: oihw, bias: bias, cout: cout)
            let packed = packConvolutionWeights(oihw: oihw, outChannels: cout, inChannels: cin, kernelSize: 3, channels: 0..<cin)
            var got = [Float](repeating: .nan, count: want.count)
            let workspace = KernelWorkspace(threads: 2, chunkFloats: 2 * (w + 2) * cin, algorithm: algorithm)
            first.withUnsafeBufferPointer { a in second.withUnsafeBufferPointer { b in
                packed.withUnsafeBufferPointer { wt in bias.withUnsafeBufferPointer { bs in
                    withPointers(&got) { o in withWinogradWeights(oihw: oihw, outChannels: cout, inChannels: cin) { u in
                        conv3x3(first: FeatureSource(a.baseAddress!, channels: c1),
                                second: c2 > 0 ? FeatureSource(b.baseAddress!, channels: c2) : nil,
                                entries: n, height: h, width: w, weights: wt.baseAddress!, winogradWeights: u,
                                outChannels: cout,
                                output: o, epilogue: .bias(bs.baseAddress!),
                                workspace: workspace)
                    } }
                } }
            } }
            expectKernelsRan(algorithm, workspace)
            expectClose(got, want, absolute: 1e-4, relative: 1e-5,
                        "conv3x3 \(algorithm.rawValue) \(c1)+\(c2)->\(cout) at \(h)x\(w)")
        }
    }

    @Test func packingPutsTapsMajorAndChannelsMinor() {
        // OIHW value encodes (co, ci, ky, kx) as co·1000 + ci·100 + ky·10 + kx.
        let (cout, cin) = (2, 3)
        var oihw = [Float](repeating: 0, count: cout * cin * 9)
        for co in 0..<cout { for ci in 0..<cin { for ky in 0..<3 { for kx in 0..<3 {
            oihw[((co * cin + ci) * 3 + ky) * 3 + kx] = Float(co * 1000 + ci * 100 + ky * 10 + kx)
        } } } }
        let packed = packConvolutionWeights(oihw: oihw, outChannels: cout, inChannels: cin, kernelSize: 3, channels: 1..<3)
        // Row (tap = ky·3 + kx) · 2 + (ci - 1), column co.
        #expect(packed.count == 9 * 2 * cout)
        #expect(packed[((1 * 3 + 2) * 2 + 0) * cout + 1] == 1000 + 100 + 12)
        #expect(packed[((2 * 3 + 0) * 2 + 1) * cout + 0] == 200 + 20)
    }

    @Test func conv1x1MixesChannelsPerPixel() {
        // Two pixels, channels (1, 2) and (3, 4); out = 10·c0 + c1 + bias 0.5, and c0 - c1.
        let input: [Float] = [1, 2, 3, 4]
        let oihw: [Float] = [10, 1, 1, -1]
        let packed = packConvolutionWeights(oihw: oihw, outChannels: 2, inChannels: 2, kernelSize: 1, channels: 0..<2)
        let bias: [Float] = [0.5, 0]
        var output = [Float](repeating: 0, count: 4)
        input.withUnsafeBufferPointer { i in packed.withUnsafeBufferPointer { wt in bias.withUnsafeBufferPointer { b in
            withPointers(&output) { o in
                conv1x1(input: i.baseAddress!, inChannels: 2, rows: 2, pixels: 2, weights: wt.baseAddress!,
                        outChannels: 2, output: o, epilogue: .bias(b.baseAddress!), workspace: KernelWorkspace())
            }
        } } }
        #expect(output == [12.5, -1, 34.5, -1])
    }

    @Test func crossEpilogueAddsThePixelTermToEveryEntryThenLeaks() {
        // 2 entries x 2 pixels x 1 channel; addend per pixel (1, -10).
        var values: [Float] = [1, 2, 3, 4]
        let addend: [Float] = [1, -10]
        addend.withUnsafeBufferPointer { a in
            withPointers(&values) { v in
                applyEpilogue(.addPixelLeakyReLU(a.baseAddress!, slope: 0.5), to: v, rows: 0..<4, channels: 1, pixels: 2)
            }
        }
        #expect(values == [2, -4, 4, -3])
    }

    @Test func activations() {
        var x: [Float] = [-2, -0.0, 0, 3]
        withPointers(&x) { leakyReLU($0, count: 4, slope: 0.01) }
        #expect(x == [-0.02, 0, 0, 3])
        var y: [Float] = [-2, 4, -8, 1]
        let slopes: [Float] = [0.25, 0.5]
        slopes.withUnsafeBufferPointer { s in
            withPointers(&y) { prelu($0, count: 4, channels: 2, slopes: s.baseAddress!, slopeCount: 2) }
        }
        #expect(y == [-0.5, 4, -2, 1])
    }

    @Test func layerNormNormalisesEachEntryOverPixelsAndChannels() {
        // Entry 0: values 1, 2, 3, 4 (2 pixels x 2 channels): mean 2.5, variance 1.25.
        // Entry 1: constant 7: variance 0, so the output is exactly beta.
        var x: [Float] = [1, 2, 3, 4, 7, 7, 7, 7]
        let gamma: [Float] = [1, 2]
        let beta: [Float] = [0, 10]
        gamma.withUnsafeBufferPointer { g in beta.withUnsafeBufferPointer { b in
            withPointers(&x) {
                layerNorm($0, entries: 2, pixels: 2, channels: 2, gamma: g.baseAddress!, beta: b.baseAddress!,
                          eps: 1e-5, workspace: KernelWorkspace(threads: 2))
            }
        } }
        let s = Float(1 / (1.25 + 1e-5).squareRoot())
        let want: [Float] = [-1.5 * s, 2 * -0.5 * s + 10, 0.5 * s, 2 * 1.5 * s + 10, 0, 10, 0, 10]
        expectClose(x, want, absolute: 1e-6, relative: 1e-6, "layerNorm by hand")
    }

    @Test func maxPoolTakesTheLargestOfEachTwoByTwo() {
        // One entry, 4x4, 1 channel, value = y·4 + x, plus an odd 3x3 that drops its last row/column.
        let input = (0..<16).map(Float.init)
        var output = [Float](repeating: 0, count: 4)
        input.withUnsafeBufferPointer { i in withPointers(&output) {
            maxPool2x2(input: i.baseAddress!, output: $0, entries: 1, height: 4, width: 4, channels: 1,
                       workspace: KernelWorkspace())
        } }
        #expect(output == [5, 7, 13, 15])
        let odd: [Float] = [1, 9, 100, 3, 2, 100, 100, 100, 100]
        var one: [Float] = [0]
        odd.withUnsafeBufferPointer { i in withPointers(&one) {
            maxPool2x2(input: i.baseAddress!, output: $0, entries: 1, height: 3, width: 3, channels: 1,
                       workspace: KernelWorkspace())
        } }
        #expect(one == [9])
    }

    @Test func upsamplingWithAlignedCornersIsExactOnALinearRamp() {
        // in[y][x] = 2y + x on 2x2; with corners aligned the 4x4 output samples at y/3, x/3:
        // out[Y][X] = 2Y/3 + X/3, corners copied exactly. Two channels: the second is negated.
        let input: [Float] = [0, -0, 1, -1, 2, -2, 3, -3]
        var output = [Float](repeating: 0, count: 32)
        input.withUnsafeBufferPointer { i in withPointers(&output) {
            upsampleBilinear2x(input: i.baseAddress!, output: $0, entries: 1, height: 2, width: 2, channels: 2,
                               workspace: KernelWorkspace(threads: 2))
        } }
        var want = [Float](repeating: 0, count: 32)
        for y in 0..<4 { for x in 0..<4 {
            let v = Float(2 * y + x) / 3
            want[(y * 4 + x) * 2] = v
            want[(y * 4 + x) * 2 + 1] = -v
        } }
        expectClose(output, want, absolute: 1e-6, relative: 0, "upsample ramp")
        #expect(output[0] == 0 && output[(3 * 4 + 3) * 2] == 3 && output[3 * 2] == 1 && output[12 * 2] == 2)
    }

    @Test func meanOverEntriesAndChannelConcat() {
        let entries: [Float] = [1, 2, 3, 5, 6, 7, 0, 1, -1]
        var mean = [Float](repeating: 0, count: 3)
        entries.withUnsafeBufferPointer { e in withPointers(&mean) {
            meanOverEntries(input: e.baseAddress!, output: $0, entries: 3, count: 3, workspace: KernelWorkspace())
        } }
        #expect(mean == [2, 3, 3])
        let a: [Float] = [1, 2]          // 2 pixels x 1 channel
        let b: [Float] = [10, 11, 20, 21] // 2 pixels x 2 channels
        var out = [Float](repeating: 0, count: 6)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in withPointers(&out) {
            concatChannels(pa.baseAddress!, channelsA: 1, pb.baseAddress!, channelsB: 2, output: $0, pixels: 2)
        } } }
        #expect(out == [1, 10, 11, 2, 20, 21])
    }
}
