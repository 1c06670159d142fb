import Foundation

/// How a stored 16-bit sample maps back to the source's intensity: `value = scale * stored + offset`
/// (Hounsfield units for CT). `lossless` when every source value has its own stored value.
///
/// ```swift
/// let hu = mapping.value(ofStored: 1024) // -1024 + 1024 = 0 HU for scale 1, offset -1024
/// ```
public struct IntensityMapping: Codable, Sendable, Equatable {
    public var scale: Double
    public var offset: Double
    public var lossless: Bool
    public init(scale: Double, offset: Double, lossless: Bool) {
        self.scale = scale
        self.offset = offset
        self.lossless = lossless
    }
    public func value(ofStored stored: Int) -> Double { scale * Double(stored) + offset }
}

/// One slice of a volume that became a project image.
public struct VolumeSlice: Codable, Sendable, Equatable {
    /// The slice's index along the voxel axis it was cut across (0-based).
    public var index: Int
    /// The project image holding it.
    public var image: String
    public init(index: Int, image: String) {
        self.index = index
        self.image = image
    }
}

/// `volumes/<id>.json`: where a volume's slices came from and how to put them back. Geometry
/// only: no patient fields.
///
/// ```swift
/// let sidecar = try project.volume("ct")
/// let firstImage = sidecar.slices[0].image
/// ```
public struct VolumeSidecar: Codable, Sendable, Equatable {
    public static let currentSchema = 1

    /// The id-safe base name of a volume file: `"CT scan.nii.gz"` gives `"CT_scan"`.
    public static func baseName(of file: String) -> String? {
        var name = (file as NSString).lastPathComponent
        for suffix in [".nii.gz", ".nii"] where name.lowercased().hasSuffix(suffix) {
            name = String(name.dropLast(suffix.count))
            break
        }
        return Identifier.sanitize(name, droppingExtension: false)
    }
    public var schema = VolumeSidecar.currentSchema
    /// The volume's id (file name of the sidecar without `.json`); set by `Project.importVolume`.
    public var id = ""
    /// The imported file's name (no folder).
    public var source: String
    /// e.g. "NIfTI-1".
    public var format: String
    /// Voxel counts along the source's i, j, k axes.
    public var dims: [Int]
    /// Voxel spacing along i, j, k (mm for NIfTI with the usual units).
    public var spacing: [Double]
    /// 4x4 voxel (i, j, k, 1) to world (x, y, z, 1), rows; the world is RAS+ for NIfTI.
    public var affine: [[Double]]
    /// Which header field gave `affine`: "sform", "qform" or "pixdim".
    public var affineSource: String
    public var qformCode: Int
    public var sformCode: Int
    /// The source's qform and sform (rows), nil when their code is 0: an exported label volume
    /// gets both, so it overlays the source in any viewer.
    public var qform: [[Double]]?
    public var sform: [[Double]]?
    /// NIfTI xyz_units code of `spacing` (2 = mm, 0 = unknown).
    public var xyzUnits: Int
    /// The world direction each voxel axis points to, e.g. "RAS" or "LPS".
    public var orientation: String
    /// "axial", "coronal" or "sagittal".
    public var plane: String
    /// The voxel axis (0 = i, 1 = j, 2 = k) the slices are cut across.
    public var sliceAxis: Int
    /// The voxel axes along an image's columns (x) and rows (y), and whether each runs backwards
    /// (so that superior / anterior is up and the patient's right on the left, as viewers show it).
    public var columnAxis: Int
    public var rowAxis: Int
    public var columnsReversed: Bool
    public var rowsReversed: Bool
    /// The source's voxel type, e.g. "int16".
    public var datatype: String
    public var intensity: IntensityMapping
    /// The whole volume's 0.5 and 99.5 percentiles in source units (the `percentiles` window
    /// preset, for MR); nil in sidecars written before windows existed.
    public var percentiles: [Double]?
    /// e.g. "CT", "MR" when the source says so; nil when unknown.
    public var modality: String?
    /// Anything the import left out (e.g. the other volumes of a 4D file).
    public var note: String?
    /// The imported slices, in index order.
    public var slices: [VolumeSlice]

    public init(
        source: String, format: String, dims: [Int], spacing: [Double], affine: [[Double]], affineSource: String,
        qformCode: Int, sformCode: Int, qform: [[Double]]?, sform: [[Double]]?, xyzUnits: Int, orientation: String, plane: String, sliceAxis: Int, columnAxis: Int,
        rowAxis: Int, columnsReversed: Bool, rowsReversed: Bool, datatype: String, intensity: IntensityMapping,
        modality: String?, note: String?, slices: [VolumeSlice]
    ) {
        self.source = source
        self.format = format
        self.dims = dims
        self.spacing = spacing
        self.affine = affine
        self.affineSource = affineSource
        self.qformCode = qformCode
        self.sformCode = sformCode
        self.qform = qform
        self.sform = sform
        self.xyzUnits = xyzUnits
        self.orientation = orientation
        self.plane = plane
        self.sliceAxis = sliceAxis
        self.columnAxis = columnAxis
        self.rowAxis = rowAxis
        self.columnsReversed = columnsReversed
        self.rowsReversed = rowsReversed
        self.datatype = datatype
        self.intensity = intensity
        self.modality = modality
        self.note = note
        self.slices = slices
    }
}
