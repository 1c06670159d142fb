import Foundation
import PNGCodec
import ProjectStore

/// Why a volume could not be imported.
public enum VolumeImportError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidSelection(String)
    case selectionOutOfRange(ClosedRange<Int>, count: Int)
    case nifti(NIfTIError)
    case dicom(DICOMError)
    /// A 4D file where only 3D volumes are taken (the app's upload).
    case fourDimensional(file: String, volumes: Int)

    public var description: String {
        switch self {
        case .invalidSelection(let text):
            return "invalid slice selection '\(text)': use 'all', 'every:K' (K >= 1) or 'A-B' (0-based, inclusive)"
        case let .selectionOutOfRange(range, count):
            return "slices \(range.lowerBound)-\(range.upperBound) do not exist: the volume has \(count) in that plane (0-\(count - 1))"
        case .nifti(let error): return error.description
        case .dicom(let error): return error.description
        case let .fourDimensional(file, volumes):
            return "'\(file)' is a 4D volume (\(volumes) volumes, e.g. time points or echoes): upload one 3D volume "
                + "(split it first, e.g. with fslsplit), or import its first volume with `multiverseg import`"
        }
    }
}

public enum VolumeImport {
    /// Whether `name` is a file this module imports (`.nii`, `.nii.gz`).
    public static func isVolumeFile(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz")
    }

    /// Cuts a NIfTI volume into slices in `plane` (default: the plane it was acquired in), stores
    /// the selected ones as 16-bit grey PNGs under one intensity mapping, and records the volume in
    /// `volumes/<id>.json`, all through `Project.importVolume`.
    ///
    /// ```swift
    /// let sidecar = try VolumeImport.importNIfTI("ct.nii.gz", into: project, plane: .axial, selection: .every(4))
    /// print(sidecar.slices.count, sidecar.intensity)
    /// ```
    /// `refusing4D`: a 4D file is an error (`fourDimensional`) instead of giving its first volume.
    @discardableResult
    public static func importNIfTI(
        _ path: String, into project: Project, plane: SlicePlane? = nil, selection: SliceSelection = .all,
        limits: VolumeLimits = .default, refusing4D: Bool = false
    ) throws -> VolumeSidecar {
        let volume: Volume
        do { volume = try NIfTI.read(path, limits: limits) } catch { throw VolumeImportError.nifti(error) }
        if refusing4D && volume.frames > 1 {
            throw VolumeImportError.fourDimensional(file: (path as NSString).lastPathComponent, volumes: volume.frames)
        }
        // NIfTI headers do not say which modality; DICOM series do.
        return try importVolume(volume, source: (path as NSString).lastPathComponent, modality: nil, into: project, plane: plane, selection: selection)
    }

    /// Imports the DICOM files `paths` (e.g. a folder's), one volume per series (grouped by
    /// SeriesInstanceUID, ordered by position along the slice normal), named after `source`
    /// (the folder's name), with the series' Modality in the sidecar.
    ///
    /// ```swift
    /// let sidecars = try VolumeImport.importDICOM(files, source: "CT_thorax", into: project)
    /// ```
    @discardableResult
    public static func importDICOM(
        _ paths: [String], source: String, into project: Project, plane: SlicePlane? = nil, selection: SliceSelection = .all,
        limits: VolumeLimits = .default
    ) throws -> [VolumeSidecar] {
        let series: [(volume: Volume, modality: String?, series: String)]
        do { series = try DICOM.readSeries(paths, limits: limits) } catch { throw VolumeImportError.dicom(error) }
        return try series.enumerated().map { number, entry in
            try importVolume(entry.volume, source: series.count == 1 ? source : "\(source)-series\(number + 1)",
                             modality: entry.modality, into: project, plane: plane, selection: selection)
        }
    }

    private static func importVolume(
        _ volume: Volume, source file: String, modality: String?, into project: Project, plane: SlicePlane?, selection: SliceSelection
    ) throws -> VolumeSidecar {
        let chosenPlane = plane ?? volume.acquisitionPlane
        let axis = volume.voxelAxis(for: chosenPlane)
        let layout = volume.layout(across: axis)
        let indices = try selection.indices(count: volume.dims[axis])
        let mapping = volume.intensityMapping()
        let base = VolumeSidecar.baseName(of: file) ?? "volume"
        let digits = max(3, String(volume.dims[axis] - 1).count)

        var images: [(name: String, png: [UInt8])] = []
        for index in indices {
            let slice = volume.slice(across: axis, at: index)
            let samples = slice.values.map { value -> UInt16 in
                guard value.isFinite else { return 0 }
                let stored = ((Double(value) - mapping.offset) / mapping.scale).rounded()
                return UInt16(min(max(stored, 0), 65535))
            }
            let png = try PNGImage(width: slice.width, height: slice.height, channels: 1, bitDepth: 16, samples: samples).pngData()
            let number = String(index)
            images.append(("\(base)_\(chosenPlane.rawValue)_\(String(repeating: "0", count: max(0, digits - number.count)))\(number)", png))
        }
        var draft = VolumeSidecar(
            source: file, format: volume.format, dims: volume.dims, spacing: volume.spacing, affine: volume.affine,
            affineSource: volume.affineSource, qformCode: volume.qformCode, sformCode: volume.sformCode,
            qform: volume.qform, sform: volume.sform, xyzUnits: volume.xyzUnits,
            orientation: volume.orientation, plane: chosenPlane.rawValue, sliceAxis: axis,
            columnAxis: layout.columnAxis, rowAxis: layout.rowAxis,
            columnsReversed: layout.columnsReversed, rowsReversed: layout.rowsReversed,
            datatype: volume.datatype, intensity: mapping,
            modality: modality, note: volume.note,
            slices: indices.map { VolumeSlice(index: $0, image: "") })
        draft.percentiles = volume.percentiles(under: mapping)
        return try project.importVolume(name: file, slices: images, sidecar: draft)
    }
}
