import Imaging

/// Exact Euclidean distance transforms (Felzenszwalb & Huttenlocher's lower envelope of
/// parabolas, one pass per axis).
public enum DistanceTransform {
    /// Squared distance from every pixel to the nearest `site` pixel; `Float.infinity` everywhere
    /// when there is no site.
    ///
    /// Shapes: sites [H][W] -> [H][W]. Matches scipy.ndimage.distance_transform_edt(~sites) ** 2.
    public static func squaredDistance(toSites sites: [Bool], width: Int, height: Int) -> [Float] {
        precondition(sites.count == width * height, "size mismatch")
        var grid = sites.map { $0 ? Float(0) : .infinity }
        var line = [Float](repeating: 0, count: max(width, height))
        var out = line
        // Columns first, then rows: the 2-D transform separates into two 1-D ones.
        for x in 0..<width {
            for y in 0..<height { line[y] = grid[y * width + x] }
            transform1D(line, count: height, into: &out)
            for y in 0..<height { grid[y * width + x] = out[y] }
        }
        for y in 0..<height {
            for x in 0..<width { line[x] = grid[y * width + x] }
            transform1D(line, count: width, into: &out)
            for x in 0..<width { grid[y * width + x] = out[x] }
        }
        return grid
    }

    /// Distance from each foreground pixel to the nearest background pixel, where everything
    /// outside the image counts as background (so a region touching the border is thin there);
    /// 0 on background.
    ///
    /// Shapes: mask [H][W] -> [H][W]. Matches
    /// distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1].
    public static func distanceToBackground(_ mask: BinaryMask) -> [Float] {
        let w = mask.width + 2, h = mask.height + 2
        var sites = [Bool](repeating: true, count: w * h)
        for y in 0..<mask.height {
            for x in 0..<mask.width { sites[(y + 1) * w + x + 1] = !mask[x, y] }
        }
        let padded = squaredDistance(toSites: sites, width: w, height: h)
        var out = [Float](repeating: 0, count: mask.pixels.count)
        for y in 0..<mask.height {
            for x in 0..<mask.width { out[y * mask.width + x] = padded[(y + 1) * w + x + 1].squareRoot() }
        }
        return out
    }

    // One dimension: out[q] = min_p (q - p)^2 + f[p] over the first `count` values of f.
    private static func transform1D(_ f: [Float], count n: Int, into out: inout [Float]) {
        var vertices = [Int](repeating: 0, count: n)     // parabola apexes of the lower envelope
        var bounds = [Float](repeating: 0, count: n + 1)   // where each one starts to be lowest
        var k = -1
        for q in 0..<n where f[q].isFinite {
            var s: Float = 0
            while k >= 0 {
                let p = vertices[k]
                s = ((f[q] + Float(q * q)) - (f[p] + Float(p * p))) / Float(2 * (q - p))
                if s <= bounds[k] { k -= 1 } else { break }
            }
            k += 1
            vertices[k] = q
            bounds[k] = k == 0 ? -.infinity : s
            bounds[k + 1] = .infinity
        }
        guard k >= 0 else {
            for q in 0..<n { out[q] = .infinity }
            return
        }
        var j = 0
        for q in 0..<n {
            while bounds[j + 1] < Float(q) { j += 1 }
            let d = Float(q - vertices[j])
            out[q] = d * d + f[vertices[j]]
        }
    }
}
