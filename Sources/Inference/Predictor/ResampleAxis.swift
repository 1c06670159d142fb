// Separable resampling kernels used by pre- and post-processing.
//
// One geometry throughout: PyTorch's `F.interpolate(..., align_corners=False)`, in which output
// sample d of an axis of n_out samples covering n_in input samples sits at input coordinate
// (d + 0.5) * n_in / n_out - 0.5 (pixel centres at integers).

/// Which 1-D filter a resampling uses.
public enum ResampleFilter: Sendable, Equatable {
    /// Two-tap linear interpolation: `F.interpolate(mode="bilinear", align_corners=False)`.
    case bilinear
    /// Triangle filter stretched by the scale factor when shrinking, so every input pixel
    /// contributes: `F.interpolate(mode="bilinear", align_corners=False, antialias=True)`.
    /// Identical to `.bilinear` when enlarging.
    case antialiasedBilinear
}

/// The taps of a 1-D resampling: for each output index, a run of consecutive input indices
/// starting at `starts[d]` with weights `weights[offsets[d]..<offsets[d+1]]`.
///
/// Taps are computed on a *virtual* input axis of `virtualCount` samples and then shifted by
/// `-virtualOrigin` into the stored array of `storedCount` samples; taps falling outside the
/// stored array are dropped, which is exactly zero padding. Only outputs in `outputs` are kept,
/// which is exactly cropping. This is how "pad to a square, resize" and "resize back, crop"
/// run without materialising the padded square.
///
/// ```swift
/// // 200 stored columns centred in a 256-wide zero-padded square, resized to 128:
/// let axis = ResampleAxis(virtualCount: 256, outputCount: 128, filter: .bilinear,
///                         virtualOrigin: 28, storedCount: 200, outputs: 0..<128)
/// ```
public struct ResampleAxis: Sendable {
    public let starts: [Int]
    public let offsets: [Int]
    public let weights: [Float]

    public var outputCount: Int { starts.count }

    public init(
        virtualCount: Int, outputCount: Int, filter: ResampleFilter,
        virtualOrigin: Int = 0, storedCount: Int? = nil, outputs: Range<Int>? = nil
    ) {
        precondition(virtualCount > 0 && outputCount > 0, "resampling needs non-empty axes")
        let stored = storedCount ?? virtualCount
        let kept = outputs ?? 0..<outputCount
        precondition(kept.lowerBound >= 0 && kept.upperBound <= outputCount)
        let scale = Double(virtualCount) / Double(outputCount)
        var starts: [Int] = []
        var offsets: [Int] = [0]
        var weights: [Float] = []
        starts.reserveCapacity(kept.count)
        offsets.reserveCapacity(kept.count + 1)
        for d in kept {
            let taps = Self.taps(output: d, scale: scale, inputCount: virtualCount, filter: filter)
            // Shift into the stored array and drop what lies in the padding; the taps are
            // consecutive input indices, so what is left stays one consecutive run.
            var first = -1
            for (index, weight) in taps {
                let i = index - virtualOrigin
                guard i >= 0, i < stored else { continue }
                if first < 0 { first = i }
                weights.append(weight)
            }
            starts.append(max(first, 0))
            offsets.append(weights.count)
        }
        self.starts = starts
        self.offsets = offsets
        self.weights = weights
    }

    /// Input indices and weights (summing to 1) of output sample `d` on an unpadded axis.
    static func taps(output d: Int, scale: Double, inputCount: Int, filter: ResampleFilter) -> [(Int, Float)] {
        let centre = (Double(d) + 0.5) * scale
        if filter == .bilinear || scale <= 1 {
            // PyTorch clamps negative source coordinates to 0 and repeats the last sample.
            let source = max(centre - 0.5, 0)
            let i0 = min(Int(source), inputCount - 1)
            let i1 = min(i0 + 1, inputCount - 1)
            let lambda = Float(source - Double(i0))
            if i1 == i0 { return [(i0, 1)] }
            return [(i0, 1 - lambda), (i1, lambda)]
        }
        // Triangle of half-width `scale` around the output centre, in input pixel units; the
        // window is cut at the borders and renormalised (PyTorch's antialias and PIL do this).
        let support = scale
        let lo = max(Int(centre - support + 0.5), 0)
        let hi = min(Int(centre + support + 0.5), inputCount)
        var taps: [(Int, Float)] = []
        var total = 0.0
        var raw: [Double] = []
        for i in lo..<max(hi, lo + 1) where i < inputCount {
            let x = (Double(i) - centre + 0.5) / scale
            let w = max(0, 1 - abs(x))
            raw.append(w)
            total += w
        }
        for (k, w) in raw.enumerated() { taps.append((lo + k, Float(w / total))) }
        return taps
    }
}

/// Separable 2-D resampling of a row-major single-channel image.
///
/// Shapes: `input` [inputHeight, inputWidth]; result [rows.outputCount, columns.outputCount].
/// Matches `F.interpolate(x[None, None], size=..., mode="bilinear", align_corners=False,
/// antialias=...)` when the axes are unpadded and uncropped; with padded/cropped axes it equals
/// resizing the zero-padded image and cropping the result.
///
/// ```swift
/// let cols = ResampleAxis(virtualCount: 4, outputCount: 2, filter: .bilinear)
/// let rows = ResampleAxis(virtualCount: 4, outputCount: 2, filter: .bilinear)
/// let small = resample2D(image, inputWidth: 4, inputHeight: 4, rows: rows, columns: cols)
/// ```
public func resample2D(
    _ input: [Float], inputWidth: Int, inputHeight: Int, rows: ResampleAxis, columns: ResampleAxis
) -> [Float] {
    precondition(input.count == inputWidth * inputHeight, "input does not match its size")
    let outW = columns.outputCount, outH = rows.outputCount
    // Rows first (fewer rows to filter horizontally afterwards when shrinking vertically).
    var vertical = [Float](repeating: 0, count: outH * inputWidth)
    input.withUnsafeBufferPointer { src in
        vertical.withUnsafeMutableBufferPointer { dst in
            for r in 0..<outH {
                let out = dst.baseAddress! + r * inputWidth
                var tap = rows.offsets[r]
                var i = rows.starts[r]
                while tap < rows.offsets[r + 1] {
                    let w = rows.weights[tap]
                    let row = src.baseAddress! + i * inputWidth
                    for x in 0..<inputWidth { out[x] += w * row[x] }
                    tap += 1
                    i += 1
                }
            }
        }
    }
    var result = [Float](repeating: 0, count: outH * outW)
    vertical.withUnsafeBufferPointer { src in
        result.withUnsafeMutableBufferPointer { dst in
            for r in 0..<outH {
                let row = src.baseAddress! + r * inputWidth
                let out = dst.baseAddress! + r * outW
                for c in 0..<outW {
                    var sum: Float = 0
                    var i = columns.starts[c]
                    for tap in columns.offsets[c]..<columns.offsets[c + 1] {
                        sum += columns.weights[tap] * row[i]
                        i += 1
                    }
                    out[c] = sum
                }
            }
        }
    }
    return result
}
