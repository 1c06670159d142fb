// maxPool2x2: out[n][y][x][c] = max(in[n][2y+dy][2x+dx][c] for dy, dx in {0, 1}).
// in: [N][H][W][C]; out: [N][H/2][W/2][C] (odd sizes drop the last row / column).
// PyTorch: nn.MaxPool2d(2, 2) on NCHW.
public func maxPool2x2(
    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    entries: Int, height: Int, width: Int, channels: Int,
    workspace: KernelWorkspace
) {
    let outHeight = height / 2
    let outWidth = width / 2
    let outRows = entries * outHeight
    let slices = workspace.sliceCount(outRows)
    workspace.forEachUnit(slices, workers: workspace.threads) { part, _ in
        for row in slice(outRows, part: part, of: slices) {
            let n = row / outHeight
            let y = row - n * outHeight
            let top = input + ((n * height + 2 * y) * width) * channels
            let bottom = top + width * channels
            var out = output + (n * outHeight + y) * outWidth * channels
            for x in 0..<outWidth {
                let a = top + 2 * x * channels
                let b = bottom + 2 * x * channels
                var c = 0
                while c &+ 8 <= channels {
                    let top2 = max8(load8(a + c), load8(a + (c &+ channels)))
                    let bottom2 = max8(load8(b + c), load8(b + (c &+ channels)))
                    store8(max8(top2, bottom2), out + c)
                    c &+= 8
                }
                while c < channels {
                    out[c] = max(max(a[c], a[c &+ channels]), max(b[c], b[c &+ channels]))
                    c &+= 1
                }
                out += channels
            }
        }
    }
}

// upsampleBilinear2x: out[n][Y][X][c] = bilinear interpolation of in[n] at
//   (Y·(H-1)/(2H-1), X·(W-1)/(2W-1)) — corners aligned.
// in: [N][H][W][C]; out: [N][2H][2W][C].
// PyTorch: nn.UpsamplingBilinear2d(scale_factor=2), i.e. F.interpolate(x, scale_factor=2,
// mode="bilinear", align_corners=True), on NCHW.
public func upsampleBilinear2x(
    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    entries: Int, height: Int, width: Int, channels: Int,
    workspace: KernelWorkspace
) {
    let outHeight = 2 * height
    let outWidth = 2 * width
    let scaleY: Float = outHeight > 1 ? Float(height - 1) / Float(outHeight - 1) : 0
    let scaleX: Float = outWidth > 1 ? Float(width - 1) / Float(outWidth - 1) : 0
    let outRows = entries * outHeight
    let slices = workspace.sliceCount(outRows)
    workspace.forEachUnit(slices, workers: workspace.threads) { part, _ in
        for row in slice(outRows, part: part, of: slices) {
            let n = row / outHeight
            let y = row - n * outHeight
            let sourceY = scaleY * Float(y)
            let y0 = Int(sourceY)
            let y1 = y0 < height - 1 ? y0 + 1 : y0
            let ly1 = sourceY - Float(y0)
            let ly0 = 1 - ly1
            let image = input + n * height * width * channels
            let top = image + y0 * width * channels
            let bottom = image + y1 * width * channels
            var out = output + (n * outHeight + y) * outWidth * channels
            for x in 0..<outWidth {
                let sourceX = scaleX * Float(x)
                let x0 = Int(sourceX)
                let x1 = x0 < width - 1 ? x0 + 1 : x0
                let lx1 = sourceX - Float(x0)
                let lx0 = 1 - lx1
                let a = top + x0 * channels
                let b = top + x1 * channels
                let c0 = bottom + x0 * channels
                let d = bottom + x1 * channels
                var c = 0
                while c &+ 8 <= channels {
                    let upper = lx0 * load8(a + c) + lx1 * load8(b + c)
                    let lower = lx0 * load8(c0 + c) + lx1 * load8(d + c)
                    store8(ly0 * upper + ly1 * lower, out + c)
                    c &+= 8
                }
                while c < channels {
                    out[c] = ly0 * (lx0 * a[c] + lx1 * b[c]) + ly1 * (lx0 * c0[c] + lx1 * d[c])
                    c &+= 1
                }
                out += channels
            }
        }
    }
}
