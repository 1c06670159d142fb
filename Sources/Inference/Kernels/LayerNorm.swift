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
    // Split each entry into `parts` slices so small entry counts still use every thread.
    let parts = entries >= workspace.threads ? 1 : workspace.threads
    let tasks = entries * parts
    let partial = workspace.statistics(2 * tasks)
    let workers = min(workspace.threads, tasks)
    // Pass 1: sums and sums of squares in double, so one pass is exact enough.
    parallelFor(workers) { worker in
        var task = worker
        while task < tasks {
            let n = task / parts
            let pixelRange = slice(pixels, part: task % parts, of: parts)
            let start = x + n * perEntry + pixelRange.lowerBound * channels
            let count = pixelRange.count * channels
            var sum: Double = 0
            var squares: Double = 0
            var i = 0
            // Float partial sums over short runs keep the loop vectorisable; runs of 64 stay exact
            // to well below the tolerance we test.
            while i < count {
                let end = min(count, i + 64)
                var s: Float = 0
                var q: Float = 0
                for j in i..<end {
                    let v = start[j]
                    s += v
                    q += v * v
                }
                sum += Double(s)
                squares += Double(q)
                i = end
            }
            partial[2 * task] = sum
            partial[2 * task + 1] = squares
            task += workers
        }
    }
    // Pass 2: normalise with per-channel scale and shift.
    parallelFor(workers) { worker in
        var task = worker
        while task < tasks {
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
            for _ in pixelRange {
                for c in 0..<channels {
                    row[c] = (row[c] - shift) * inverse * gamma[c] + beta[c]
                }
                row += channels
            }
            task += workers
        }
    }
}
