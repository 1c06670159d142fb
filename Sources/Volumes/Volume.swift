import ProjectStore

/// A scalar 3D volume with its geometry: voxels as float (the source's scaling applied), x fastest,
/// then y, then z, and the voxel-to-world affine (RAS+ for NIfTI).
///
/// ```swift
/// let volume = try NIfTI.read("ct.nii.gz")
/// let plane = volume.acquisitionPlane          // .axial for a usual CT
/// let slice = volume.slice(across: volume.voxelAxis(for: plane), at: 10)
/// ```
public struct Volume: Sendable {
    public let format: String
    /// Voxel counts along i, j, k.
    public let dims: [Int]
    public let spacing: [Double]
    /// 4x4, rows; voxel (i, j, k, 1) to world.
    public let affine: [[Double]]
    public let affineSource: String
    public let qformCode: Int
    public let sformCode: Int
    /// The header's qform and sform matrices (4x4, rows), nil when their code is 0; kept apart
    /// from `affine` so an exported label volume carries both, as the source did.
    public let qform: [[Double]]?
    public let sform: [[Double]]?
    /// NIfTI xyz_units code (2 = mm).
    public let xyzUnits: Int
    public let voxels: [Float]
    /// The spacing of the lattice the values lie on when stored as integers (the scale slope), nil for float data.
    public let valueStep: Double?
    public let datatype: String
    public let description: String?
    public let note: String?
    /// Volumes in the file (a 4D NIfTI's 4th dimension); only the first is in `voxels`.
    public var frames = 1

    /// For voxel axis `axis` (0 = i, 1 = j, 2 = k): the world axis it is closest to (0 = x, 1 = y,
    /// 2 = z) and whether it points to its positive end (R, A, S).
    public func worldDirection(ofVoxelAxis axis: Int) -> (worldAxis: Int, positive: Bool) {
        let column = (0..<3).map { affine[$0][axis] }
        let world = (0..<3).max { abs(column[$0]) < abs(column[$1]) }!
        return (world, column[world] >= 0)
    }

    /// e.g. "RAS" (nibabel's axis codes).
    public var orientation: String {
        String((0..<3).map { axis -> Character in
            let (world, positive) = worldDirection(ofVoxelAxis: axis)
            return Array(positive ? "RAS" : "LPI")[world]
        })
    }

    /// The plane the slices were acquired in: the one across the last voxel axis.
    public var acquisitionPlane: SlicePlane { SlicePlane(perpendicularToWorldAxis: worldDirection(ofVoxelAxis: 2).worldAxis) }

    /// The voxel axis to cut across for `plane`: the one closest to the plane's normal (for an
    /// oblique volume, the nearest).
    public func voxelAxis(for plane: SlicePlane) -> Int {
        let normal = plane.normalWorldAxis
        if let exact = (0..<3).first(where: { worldDirection(ofVoxelAxis: $0).worldAxis == normal }) { return exact }
        return (0..<3).max { axisShare($0, normal) < axisShare($1, normal) }!
    }

    private func axisShare(_ axis: Int, _ world: Int) -> Double {
        let column = (0..<3).map { affine[$0][axis] }
        let norm = column.map { $0 * $0 }.reduce(0, +).squareRoot()
        return norm > 0 ? abs(column[world]) / norm : 0
    }

    /// How slices across `axis` are laid out as images: columns along the lower remaining voxel
    /// axis, rows along the higher, reversed so that superior / anterior is up and the patient's
    /// right is on the left, as viewers show them.
    public func layout(across axis: Int) -> SliceLayout {
        let inPlane = (0..<3).filter { $0 != axis }
        let (columnWorld, columnPositive) = worldDirection(ofVoxelAxis: inPlane[0])
        let (_, rowPositive) = worldDirection(ofVoxelAxis: inPlane[1])
        return SliceLayout(
            sliceAxis: axis, columnAxis: inPlane[0], rowAxis: inPlane[1],
            columnsReversed: columnWorld == 0 && columnPositive, rowsReversed: rowPositive)
    }

    /// The values of slice `index` across `axis`, laid out by `layout(across:)`, rows top to bottom.
    public func slice(across axis: Int, at index: Int) -> (width: Int, height: Int, values: [Float]) {
        let layout = layout(across: axis)
        let width = dims[layout.columnAxis], height = dims[layout.rowAxis]
        let strides = [1, dims[0], dims[0] * dims[1]]
        var values = [Float](repeating: 0, count: width * height)
        let base = index * strides[axis]
        voxels.withUnsafeBufferPointer { source in
            for y in 0..<height {
                let row = layout.rowsReversed ? height - 1 - y : y
                for x in 0..<width {
                    let column = layout.columnsReversed ? width - 1 - x : x
                    values[y * width + x] = source[base + row * strides[layout.rowAxis] + column * strides[layout.columnAxis]]
                }
            }
        }
        return (width, height, values)
    }

    /// One mapping for the whole volume, so every slice's stored values mean the same intensity.
    /// Integer data whose range fits 16 bits keep every value (scale = the value step); otherwise
    /// the range is spread over 0...65535.
    public func intensityMapping() -> IntensityMapping {
        var low = Float.infinity, high = -Float.infinity
        for value in voxels where value.isFinite {
            low = min(low, value)
            high = max(high, value)
        }
        guard low <= high else { return IntensityMapping(scale: 1, offset: 0, lossless: true) }
        let range = Double(high) - Double(low)
        if let step = valueStep, step > 0, (range / step).rounded() <= 65535 {
            return IntensityMapping(scale: step, offset: Double(low), lossless: true)
        }
        return IntensityMapping(scale: range > 0 ? range / 65535 : 1, offset: Double(low), lossless: range == 0)
    }

    /// The whole volume's 0.5 and 99.5 percentiles in source units, to the precision of the
    /// stored 16-bit values under `mapping` (a histogram of those, not a sort: linear in the
    /// voxels). The MR window preset uses them.
    public func percentiles(under mapping: IntensityMapping) -> [Double] {
        var counts = [Int](repeating: 0, count: 65536)
        var total = 0
        for value in voxels where value.isFinite {
            let stored = ((Double(value) - mapping.offset) / mapping.scale).rounded()
            counts[Int(min(max(stored, 0), 65535))] += 1
            total += 1
        }
        guard total > 0 else { return [mapping.offset, mapping.offset] }
        func percentile(_ fraction: Double) -> Double {
            let target = fraction * Double(total - 1)
            var seen = 0
            for (stored, count) in counts.enumerated() {
                seen += count
                if Double(seen) > target { return mapping.value(ofStored: stored) }
            }
            return mapping.value(ofStored: 65535)
        }
        return [percentile(0.005), percentile(0.995)]
    }
}

/// Anatomical planes a volume can be cut in.
public enum SlicePlane: String, Sendable, CaseIterable {
    case axial, coronal, sagittal

    init(perpendicularToWorldAxis axis: Int) {
        self = axis == 0 ? .sagittal : axis == 1 ? .coronal : .axial
    }

    /// World axis (0 = x, 1 = y, 2 = z) normal to the plane.
    var normalWorldAxis: Int { self == .sagittal ? 0 : self == .coronal ? 1 : 2 }
}

/// Which voxel axes an image's columns and rows follow, and in which direction.
public struct SliceLayout: Sendable, Equatable {
    public var sliceAxis: Int
    public var columnAxis: Int
    public var rowAxis: Int
    public var columnsReversed: Bool
    public var rowsReversed: Bool
}

/// Which slices to import.
///
/// ```swift
/// let every4th = try SliceSelection(parsing: "every:4")   // also "all", "10-40"
/// ```
public enum SliceSelection: Sendable, Equatable {
    case all
    case every(Int)
    /// Inclusive, 0-based.
    case range(ClosedRange<Int>)

    /// Parses "all", "every:K" or "A-B" (0-based, inclusive).
    public init(parsing text: String) throws(VolumeImportError) {
        if text == "all" { self = .all; return }
        if text.hasPrefix("every:"), let k = Int(text.dropFirst(6)), k >= 1 { self = .every(k); return }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 0, a <= b { self = .range(a...b); return }
        throw .invalidSelection(text)
    }

    /// The chosen indices among `count` slices.
    public func indices(count: Int) throws(VolumeImportError) -> [Int] {
        switch self {
        case .all: return Array(0..<count)
        case .every(let k): return Array(stride(from: 0, to: count, by: k))
        case .range(let range):
            guard range.upperBound < count else { throw .selectionOutOfRange(range, count: count) }
            return Array(range)
        }
    }
}
