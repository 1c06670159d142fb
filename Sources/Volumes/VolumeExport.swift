import Imaging
import ProjectStore

public enum VolumeExport {
    /// A label's accepted masks put back into their volume's voxel grid: 1 where a mask is
    /// foreground, 0 elsewhere, slices without an accepted mask all 0. Undoes the import's layout
    /// (`columnAxis`, `rowAxis`, reversals) so voxel (i, j, k) is the source's.
    ///
    /// ```swift
    /// let (voxels, labeled) = try VolumeExport.labelVoxels(project, volume: "ct", label: "liver")
    /// ```
    public static func labelVoxels(_ project: Project, volume id: String, label: String) throws -> (voxels: [UInt8], labeledSlices: Int, sidecar: VolumeSidecar) {
        let sidecar = try project.volume(id)
        guard try project.labels().contains(label) else { throw ProjectStoreError.unknownLabel(label) }
        let dims = sidecar.dims
        let strides = [1, dims[0], dims[0] * dims[1]]
        var voxels = [UInt8](repeating: 0, count: dims[0] * dims[1] * dims[2])
        let width = dims[sidecar.columnAxis], height = dims[sidecar.rowAxis]
        var labeled = 0
        for slice in sidecar.slices {
            guard let mask = try project.mask(label: label, image: slice.image) else { continue }
            guard mask.width == width, mask.height == height, (0..<dims[sidecar.sliceAxis]).contains(slice.index) else {
                throw ProjectStoreError.maskSizeMismatch(image: slice.image, expected: "\(width) x \(height)", actual: "\(mask.width) x \(mask.height)")
            }
            labeled += 1
            let base = slice.index * strides[sidecar.sliceAxis]
            for y in 0..<height {
                let row = sidecar.rowsReversed ? height - 1 - y : y
                for x in 0..<width where mask.pixels[y * width + x] {
                    let column = sidecar.columnsReversed ? width - 1 - x : x
                    voxels[base + row * strides[sidecar.rowAxis] + column * strides[sidecar.columnAxis]] = 1
                }
            }
        }
        return (voxels, labeled, sidecar)
    }

    /// Writes `<folder>/<volume>_<label>.nii.gz` for every volume of the project: a uint8 label
    /// volume with its source's exact geometry. Returns the files written and their labeled slices.
    ///
    /// ```swift
    /// for (file, slices) in try VolumeExport.writeLabelVolumes(project, label: "liver", to: "out") { print(file, slices) }
    /// ```
    public static func writeLabelVolumes(_ project: Project, label: String, to folder: String) throws -> [(file: String, labeledSlices: Int)] {
        try writeVolumes(project, to: folder, suffix: label) { id in try labelVoxels(project, volume: id, label: label) }
    }

    /// All of `labels` in one volume: voxel value n (1-based) where the n-th label's accepted mask
    /// covers it, 0 elsewhere; where masks of several labels overlap, the later label wins.
    /// Returns the voxels and, per label, its labeled slices.
    ///
    /// ```swift
    /// let (voxels, labeled, sidecar) = try VolumeExport.multiclassVoxels(project, volume: "ct", labels: ["liver", "spleen"])
    /// ```
    public static func multiclassVoxels(_ project: Project, volume id: String, labels: [String]) throws
        -> (voxels: [UInt8], labeledSlices: [Int], sidecar: VolumeSidecar)
    {
        guard labels.count <= 255 else { throw VolumeExportError.tooManyLabels(labels.count) }
        let sidecar = try project.volume(id)
        var voxels = [UInt8](repeating: 0, count: sidecar.dims.reduce(1, *))
        var labeled: [Int] = []
        for (n, label) in labels.enumerated() {
            let (one, count, _) = try labelVoxels(project, volume: id, label: label)
            for i in one.indices where one[i] != 0 { voxels[i] = UInt8(n + 1) }
            labeled.append(count)
        }
        return (voxels, labeled, sidecar)
    }

    /// Writes `<folder>/<volume>_labels.nii.gz` for every volume of the project: `labels` as
    /// values 1...n (`multiclassVoxels`) with the source's geometry.
    ///
    /// ```swift
    /// try VolumeExport.writeMulticlassVolumes(project, labels: try project.labels(), to: "out")
    /// ```
    public static func writeMulticlassVolumes(_ project: Project, labels: [String], to folder: String) throws -> [(file: String, labeledSlices: [Int])] {
        try writeVolumes(project, to: folder, suffix: "labels") { id in try multiclassVoxels(project, volume: id, labels: labels) }
    }

    /// The folder writer behind `writeLabelVolumes` and `writeMulticlassVolumes`:
    /// `<folder>/<volume>_<suffix>.nii.gz` for every volume, from the voxels `voxels` gives it.
    private static func writeVolumes<Labeled>(
        _ project: Project, to folder: String, suffix: String,
        voxels: (String) throws -> (voxels: [UInt8], labeledSlices: Labeled, sidecar: VolumeSidecar)
    ) throws -> [(file: String, labeledSlices: Labeled)] {
        try FileSystem.makeFolder(folder)
        return try project.volumeIDs().map { id in
            let (values, labeled, sidecar) = try voxels(id)
            let file = "\(id)_\(suffix).nii.gz"
            try NIfTI.writeLabels(values, geometry: sidecar, to: folder + "/" + file)
            return (file, labeled)
        }
    }

    /// One volume's label file as bytes (for a download): `label`'s mask volume, or with `label`
    /// nil every label of the project as values 1...n. Written through a scratch folder of the
    /// project, which is removed afterwards.
    ///
    /// ```swift
    /// let bytes = try VolumeExport.labelFile(project, volume: "ct", label: "liver")
    /// ```
    public static func labelFile(_ project: Project, volume id: String, label: String?) throws -> (bytes: [UInt8], labeledSlices: Int) {
        let (voxels, labeled, sidecar): ([UInt8], Int, VolumeSidecar)
        if let label {
            (voxels, labeled, sidecar) = try labelVoxels(project, volume: id, label: label)
        } else {
            let all = try multiclassVoxels(project, volume: id, labels: try project.labels())
            (voxels, labeled, sidecar) = (all.voxels, all.labeledSlices.reduce(0, +), all.sidecar)
        }
        return try project.withScratchFiles([]) { _, folder in
            let path = folder + "/labels.nii.gz"
            try NIfTI.writeLabels(voxels, geometry: sidecar, to: path)
            return (try FileSystem.read(path), labeled)
        }
    }
}

/// Why label volumes could not be exported.
public enum VolumeExportError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A uint8 volume holds at most 255 labels.
    case tooManyLabels(Int)

    public var description: String {
        switch self {
        case .tooManyLabels(let count):
            return "\(count) labels do not fit in one uint8 volume (at most 255); export them one label at a time"
        }
    }
}
