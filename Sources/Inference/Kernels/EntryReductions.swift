// meanOverEntries: out[i] = (1/N) Σ_n in[n][i] for i in 0..<count.
// in: [N][count]; out: [count].
// PyTorch: z.mean(dim=1) on [B, N, C, H, W] (the CrossBlock's mean over context entries).
public func meanOverEntries(
    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    entries: Int, count: Int, workspace: KernelWorkspace
) {
    precondition(entries > 0, "mean over zero entries")
    let scale = 1 / Float(entries)
    let slices = workspace.sliceCount(count, grain: 4096)
    workspace.forEachUnit(slices, workers: workspace.threads) { part, _ in
        let range = slice(count, part: part, of: slices)
        let out = output + range.lowerBound
        out.update(from: input + range.lowerBound, count: range.count)
        let vectorEnd = range.count & ~7
        for n in 1..<max(1, entries) {
            let source = input + n * count + range.lowerBound
            var i = 0
            while i < vectorEnd {
                store8(load8(out + i) + load8(source + i), out + i)
                i &+= 8
            }
            while i < range.count {
                out[i] += source[i]
                i &+= 1
            }
        }
        for i in 0..<range.count { out[i] *= scale }
    }
}

// concatChannels: out[p][0..<Ca] = a[p][...], out[p][Ca..<Ca+Cb] = b[p][...] for every pixel p.
// a: [P][Ca]; b: [P][Cb]; out: [P][Ca+Cb] (channels-last, P counts pixels of all entries).
// PyTorch: torch.cat([a, b], dim=1) on NCHW (the skip connections).
public func concatChannels(
    _ a: UnsafePointer<Float>, channelsA: Int,
    _ b: UnsafePointer<Float>, channelsB: Int,
    output: UnsafeMutablePointer<Float>, pixels: Int
) {
    let width = channelsA + channelsB
    for p in 0..<pixels {
        let out = output + p * width
        out.update(from: a + p * channelsA, count: channelsA)
        (out + channelsA).update(from: b + p * channelsB, count: channelsB)
    }
}
