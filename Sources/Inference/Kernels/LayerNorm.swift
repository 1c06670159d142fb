// layerNorm: for each entry n, over all of its pixels and channels together,
//   x[n][p][c] = (x[n][p][c] - mean_n) / sqrt(var_n + eps) · gamma[c] + beta[c],
//   mean_n and var_n (biased) over the P·C values of entry n; in place.
// x: [N][P][C] channels-last; gamma, beta: [C].
// PyTorch: nn.GroupNorm(1, C, eps) on NCHW — the authors' "layer" norm (one group per sample),
// applied to every context entry separately (entries are folded into the batch axis).
public func layerNorm(
    _ x: UnsafeMutablePointer<Float>, entries: Int, pixels: Int, channels: Int,
    gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float = 1e-5,
    workspace: KernelWorkspace
) {
    let perEntry = pixels * channels
    if entries == 0 || perEntry == 0 { return }
    // Split each entry into `parts` slices so small entry counts still give every thread work.
    let parts = workspace.threads == 1 ? 1 : max(1, (4 * workspace.threads + entries - 1) / entries)
    let tasks = entries * parts
    let partial = workspace.statistics(2 * tasks)
    // Pass 1: sums and sums of squares in double, so one pass is exact enough.
    workspace.forEachUnit(tasks, workers: workspace.threads) { task, _ in
        let n = task / parts
        let pixelRange = slice(pixels, part: task % parts, of: parts)
        let start = x + n * perEntry + pixelRange.lowerBound * channels
        let count = pixelRange.count * channels
        var sum: Double = 0
        var squares: Double = 0
        var i = 0
        // Float partial sums over short runs keep the loop vectorisable; runs of 64 stay exact
        // to well below the tolerance we test.
        while i &+ 64 <= count {
            var s = SIMD8<Float>()
            var q = SIMD8<Float>()
            for j in stride(from: i, to: i &+ 64, by: 8) {
                let v = load8(start + j)
                s += v
                q += v * v
            }
            sum += Double(s.sum())
            squares += Double(q.sum())
            i &+= 64
        }
        while i < count {
            let v = start[i]
            sum += Double(v)
            squares += Double(v * v)
            i &+= 1
        }
        partial[2 * task] = sum
        partial[2 * task + 1] = squares
    }
    // Pass 2: normalise with per-channel scale and shift.
    workspace.forEachUnit(tasks, workers: workspace.threads) { task, _ in
        let n = task / parts
        var sum: Double = 0
        var squares: Double = 0
        for part in 0..<parts {
            sum += partial[2 * (n * parts + part)]
            squares += partial[2 * (n * parts + part) + 1]
        }
        let mean = sum / Double(perEntry)
        let variance = max(0, squares / Double(perEntry) - mean * mean)
        let inverse = Float(1 / (variance + Double(eps)).squareRoot())
        let shift = Float(mean)
        let pixelRange = slice(pixels, part: task % parts, of: parts)
        var row = x + n * perEntry + pixelRange.lowerBound * channels
        if channels % 8 == 0 {
            // y = x·scale[c] + offset[c], with scale = inverse·gamma and offset = beta - shift·scale.
            for _ in pixelRange {
                var c = 0
                while c < channels {
                    let scale = inverse * load8(gamma + c)
                    let offset = load8(beta + c) - shift * scale
                    store8(load8(row + c) * scale + offset, row + c)
                    c &+= 8
                }
                row += channels
            }
        } else {
            for _ in pixelRange {
                for c in 0..<channels {
                    row[c] = (row[c] - shift) * inverse * gamma[c] + beta[c]
                }
                row += channels
            }
        }
    }
}
