/// A channels-last feature map read by a convolution: `[entries][height][width][channels]` at `base`.
/// Two of them side by side act as their concatenation on the channel axis (no copy is made).
public struct FeatureSource {
    public var base: UnsafePointer<Float>
    public var channels: Int

    /// `FeatureSource(pointer, channels: 32)` reads 32 channels per pixel from `pointer`.
    public init(_ base: UnsafePointer<Float>, channels: Int) {
        precondition(channels > 0, "a feature source needs at least one channel")
        self.base = base
        self.channels = channels
    }
}

/// What is applied to each output value right after the matrix product, while the chunk is still
/// in cache (`co` = output channel, `p` = pixel within its entry).
public enum ConvolutionEpilogue {
    /// out = x
    case none
    /// out = x + bias[co]
    case bias(UnsafePointer<Float>)
    /// out = LeakyReLU(x + bias[co])
    case biasLeakyReLU(UnsafePointer<Float>, slope: Float)
    /// out = LeakyReLU(x + addend[p][co]): the cross-convolution, where the addend is the target
    /// part Conv(q; W_q) + bias, shared by every entry.
    case addPixelLeakyReLU(UnsafePointer<Float>, slope: Float)
    /// out = PReLU(x + bias[co]) with one slope (`slopeCount` 1) or one per channel.
    case biasPReLU(UnsafePointer<Float>, slopes: UnsafePointer<Float>, slopeCount: Int)
}

/// Rearranges PyTorch convolution weights for the im2col product.
///
/// OIHW `[cout][cin][k][k]` (taking input channels `channels` only) -> `[k*k*|channels|][cout]`,
/// row index `(ky*k + kx)*|channels| + ci`, the order `im2col3x3` writes a row in.
///
/// ```swift
/// let packed = packConvolutionWeights(oihw: w.values, outChannels: 32, inChannels: 7,
///                                     kernelSize: 3, channels: 5..<7)  // the entry half
/// ```
public func packConvolutionWeights(
    oihw: [Float], outChannels: Int, inChannels: Int, kernelSize: Int, channels: Range<Int>
) -> [Float] {
    let taps = kernelSize * kernelSize
    precondition(oihw.count == outChannels * inChannels * taps, "weights do not match the shape given")
    precondition(channels.lowerBound >= 0 && channels.upperBound <= inChannels, "channel range out of bounds")
    let cin = channels.count
    var packed = [Float](repeating: 0, count: taps * cin * outChannels)
    for co in 0..<outChannels {
        for (ci, sourceChannel) in channels.enumerated() {
            for tap in 0..<taps {
                packed[(tap * cin + ci) * outChannels + co] = oihw[(co * inChannels + sourceChannel) * taps + tap]
            }
        }
    }
    return packed
}

// im2col3x3: columns[r - rows.lowerBound][(ky*3 + kx)*Cin + ci] = in[n][y+ky-1][x+kx-1][ci]
//   (0 outside the image), for the global rows r = (n*H + y)*W + x in `rows`.
// in: `first` [N][H][W][C1] followed on the channel axis by `second` [N][H][W][C2] if given
//   (Cin = C1 + C2); columns: [|rows|][9*Cin].
// PyTorch: F.unfold(x, 3, padding=1) transposed to rows of pixels, with (kh, kw, c) ordering.
func im2col3x3(
    first: FeatureSource, second: FeatureSource?,
    height: Int, width: Int, rows: Range<Int>,
    columns: UnsafeMutablePointer<Float>
) {
    let c1 = first.channels
    let c2 = second?.channels ?? 0
    let cin = c1 + c2
    let rowLength = 9 * cin
    let pixels = height * width
    var destination = columns
    var r = rows.lowerBound
    while r < rows.upperBound {
        let n = r / pixels
        let p = r - n * pixels
        let y = p / width
        let x0 = p - y * width
        // One stretch of an image row: the same taps are in or out of bounds vertically.
        let x1 = min(width, x0 + (rows.upperBound - r))
        let image1 = first.base + n * pixels * c1
        let image2 = second.map { $0.base + n * pixels * c2 }
        for x in x0..<x1 {
            for ky in 0..<3 {
                let sy = y + ky - 1
                let rowInside = sy >= 0 && sy < height
                for kx in 0..<3 {
                    let sx = x + kx - 1
                    let tap = destination + (ky * 3 + kx) * cin
                    if rowInside && sx >= 0 && sx < width {
                        let pixel = sy * width + sx
                        copyFloats(from: image1 + pixel * c1, to: tap, count: c1)
                        if let image2 {
                            copyFloats(from: image2 + pixel * c2, to: tap + c1, count: c2)
                        }
                    } else {
                        tap.update(repeating: 0, count: cin)
                    }
                }
            }
            destination += rowLength
        }
        r += x1 - x0
    }
}

@inline(__always)
func copyFloats(from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        UnsafeMutableRawPointer(destination + i).storeBytes(
            of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
        i += 8
    }
    while i < count {
        destination[i] = source[i]
        i += 1
    }
}

// conv3x3: out[n][y][x][co] = epilogue(Σ_{ky,kx,ci} in[n][y+ky-1][x+kx-1][ci] · W[co][ci][ky][kx])
//   with zero padding 1, stride 1.
// in: `first` ++ `second` on the channel axis, [N][H][W][Cin]; weights: packed [9*Cin][Cout]
//   (`packConvolutionWeights`); out: [N][H][W][Cout]. All N entries are rows of one product
//   (M = N*H*W, K = 9*Cin, N = Cout), cut into chunks that fit a core's cache. Unless the
//   workspace says im2col-gemm, the direct or Winograd kernels of its instruction set compute
//   the same without im2col (conv3x3Direct).
// PyTorch: F.conv2d(torch.cat([first, second], 1), w, b, padding=1) on NCHW tensors.
public func conv3x3(
    first: FeatureSource, second: FeatureSource? = nil,
    entries: Int, height: Int, width: Int,
    weights: UnsafePointer<Float>, winogradWeights: UnsafePointer<Float>? = nil, outChannels: Int,
    output: UnsafeMutablePointer<Float>,
    epilogue: ConvolutionEpilogue,
    workspace: KernelWorkspace
) {
    let cin = first.channels + (second?.channels ?? 0)
    let k = 9 * cin
    let totalRows = entries * height * width
    if totalRows == 0 { return }
    if workspace.algorithm != .im2colGEMM {
        conv3x3Direct(first: first, second: second, entries: entries, height: height, width: width,
                      weights: weights, winogradWeights: winogradWeights, outChannels: outChannels,
                      output: output, epilogue: epilogue, workspace: workspace)
        return
    }
    let rowsPerChunk = max(1, min(totalRows, workspace.chunkFloats / k))
    let chunkCount = (totalRows + rowsPerChunk - 1) / rowsPerChunk
    workspace.reserveColumns(rowsPerChunk * k)
    let pixels = height * width
    workspace.forEachUnit(chunkCount, workers: workspace.chunkWorkers) { chunk, worker in
        let columns = workspace.columns(worker: worker)
        let rows = (chunk * rowsPerChunk)..<min(totalRows, (chunk + 1) * rowsPerChunk)
        im2col3x3(first: first, second: second, height: height, width: width, rows: rows, columns: columns)
        let out = output + rows.lowerBound * outChannels
        BLAS.sgemm(
            m: rows.count, n: outChannels, k: k,
            a: columns, lda: k, b: weights, ldb: outChannels, c: out, ldc: outChannels)
        applyEpilogue(epilogue, to: out, rows: rows, channels: outChannels, pixels: pixels)
    }
}

// conv1x1: out[r][co] = epilogue(Σ_ci in[r][ci] · W[co][ci]) for every pixel row r of [N*H*W].
// in: [N*H*W][Cin]; weights: packed [Cin][Cout]; out: [N*H*W][Cout].
// PyTorch: F.conv2d(x, w, b) with a 1x1 kernel on NCHW tensors.
public func conv1x1(
    input: UnsafePointer<Float>, inChannels: Int, rows totalRows: Int, pixels: Int,
    weights: UnsafePointer<Float>, outChannels: Int,
    output: UnsafeMutablePointer<Float>,
    epilogue: ConvolutionEpilogue,
    workspace: KernelWorkspace
) {
    if totalRows == 0 { return }
    let rowsPerChunk = max(1, min(totalRows, workspace.chunkFloats / max(1, inChannels)))
    let chunkCount = (totalRows + rowsPerChunk - 1) / rowsPerChunk
    workspace.forEachUnit(chunkCount, workers: workspace.chunkWorkers) { chunk, _ in
        let rows = (chunk * rowsPerChunk)..<min(totalRows, (chunk + 1) * rowsPerChunk)
        let out = output + rows.lowerBound * outChannels
        BLAS.sgemm(
            m: rows.count, n: outChannels, k: inChannels,
            a: input + rows.lowerBound * inChannels, lda: inChannels,
            b: weights, ldb: outChannels, c: out, ldc: outChannels)
        applyEpilogue(epilogue, to: out, rows: rows, channels: outChannels, pixels: pixels)
    }
}

// applyEpilogue: values[r - rows.lowerBound][co] = epilogue(values[...][co]) for the rows given,
// where pixel p = r mod `pixels` indexes a per-pixel addend.
func applyEpilogue(
    _ epilogue: ConvolutionEpilogue, to values: UnsafeMutablePointer<Float>,
    rows: Range<Int>, channels: Int, pixels: Int
) {
    switch epilogue {
    case .none:
        return
    case .bias(let bias):
        var row = values
        for _ in rows {
            for c in 0..<channels { row[c] += bias[c] }
            row += channels
        }
    case .biasLeakyReLU(let bias, let slope):
        var row = values
        for _ in rows {
            for c in 0..<channels {
                let v = row[c] + bias[c]
                row[c] = v > 0 ? v : v * slope
            }
            row += channels
        }
    case .addPixelLeakyReLU(let addend, let slope):
        var row = values
        var p = rows.lowerBound % pixels
        for _ in rows {
            let add = addend + p * channels
            for c in 0..<channels {
                let v = row[c] + add[c]
                row[c] = v > 0 ? v : v * slope
            }
            row += channels
            p += 1
            if p == pixels { p = 0 }
        }
    case .biasPReLU(let bias, let slopes, let slopeCount):
        var row = values
        for _ in rows {
            for c in 0..<channels {
                let v = row[c] + bias[c]
                let a = slopeCount == 1 ? slopes[0] : slopes[c]
                row[c] = v > 0 ? v : v * a
            }
            row += channels
        }
    }
}
