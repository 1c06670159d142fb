import Imaging

/// Segmentation quality measures, on masks of the same size.
public enum Metrics {
    /// Dice overlap 2|A∩B| / (|A| + |B|) in 0...1; two empty masks agree perfectly (1).
    ///
    /// ```swift
    /// Metrics.dice(prediction, truth)   // 0.9 = the paper's target
    /// ```
    public static func dice(_ a: BinaryMask, _ b: BinaryMask) -> Double {
        precondition(a.width == b.width && a.height == b.height, "mask size mismatch")
        var both = 0, total = 0
        for i in a.pixels.indices {
            let p = a.pixels[i], q = b.pixels[i]
            if p && q { both += 1 }
            if p { total += 1 }
            if q { total += 1 }
        }
        return total == 0 ? 1 : 2 * Double(both) / Double(total)
    }

    /// 95th percentile Hausdorff distance in pixels: the larger of the two directed 95th
    /// percentiles of distances from one mask's boundary pixels to the other's (the MedPy
    /// definition). Boundary pixels are foreground pixels with a background 4-neighbour or on the
    /// image edge. 0 when both masks are empty, nil when exactly one is (undefined).
    ///
    /// ```swift
    /// Metrics.hd95(prediction, truth)   // e.g. 1.41 pixels
    /// ```
    public static func hd95(_ a: BinaryMask, _ b: BinaryMask) -> Double? {
        precondition(a.width == b.width && a.height == b.height, "mask size mismatch")
        let emptyA = a.isEmpty, emptyB = b.isEmpty
        if emptyA && emptyB { return 0 }
        if emptyA || emptyB { return nil }
        let boundaryA = boundary(a), boundaryB = boundary(b)
        let toB = DistanceTransform.squaredDistance(toSites: boundaryB.pixels, width: b.width, height: b.height)
        let toA = DistanceTransform.squaredDistance(toSites: boundaryA.pixels, width: a.width, height: a.height)
        let ab = boundaryA.pixels.indices.filter { boundaryA.pixels[$0] }.map { Double(toB[$0].squareRoot()) }
        let ba = boundaryB.pixels.indices.filter { boundaryB.pixels[$0] }.map { Double(toA[$0].squareRoot()) }
        return max(percentile(ab, 95), percentile(ba, 95))
    }

    /// Foreground pixels with a background 4-neighbour or on the image edge.
    public static func boundary(_ mask: BinaryMask) -> BinaryMask {
        let w = mask.width, h = mask.height
        var out = BinaryMask(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w where mask[x, y] {
                if x == 0 || y == 0 || x == w - 1 || y == h - 1
                    || !mask[x - 1, y] || !mask[x + 1, y] || !mask[x, y - 1] || !mask[x, y + 1]
                {
                    out[x, y] = true
                }
            }
        }
        return out
    }

    /// The q-th percentile (0...100) with linear interpolation between order statistics, as
    /// numpy.percentile does by default.
    public static func percentile(_ values: [Double], _ q: Double) -> Double {
        precondition(!values.isEmpty, "percentile of nothing")
        let sorted = values.sorted()
        let position = q / 100 * Double(sorted.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        let fraction = position - Double(low)
        return sorted[low] + (sorted[high] - sorted[low]) * fraction
    }
}
