import CDICOMShims
import Foundation

// The one place where DCMTK (through the C API of CDICOMShims) is called. A folder of DICOM files
// becomes one Volume per series: files grouped by SeriesInstanceUID, ordered by their position
// along the slice normal (not by file name), rescale slope/intercept applied.

/// Why DICOM files could not be read as a volume.
public enum DICOMError: Error, Equatable, CustomStringConvertible, Sendable {
    /// DCMTK could not parse the file (`call` names the shim function, `message` is DCMTK's).
    case unreadable(file: String, call: String, message: String)
    /// The file holds no image (a structured report, a presentation state).
    case noImage(file: String)
    /// Colour, multi-frame or unusual bit depths.
    case unsupported(file: String, message: String)
    /// A series whose images differ in size or orientation, or lack the geometry to stack them.
    case inconsistentSeries(series: String, reason: String)
    /// The series would exceed the allocation cap.
    case tooLarge(series: String, voxels: Int, maxBytes: Int)
    case noDICOMFiles(String)

    public var description: String {
        switch self {
        case let .unreadable(file, call, message):
            return "\(call): '\(file)' is not a readable DICOM file (\(message)); copy it from the scanner or PACS again"
        case .noImage(let file): return "'\(file)' is a DICOM file without an image (e.g. a report); leave it out"
        case let .unsupported(file, message): return "'\(file)': \(message)"
        case let .inconsistentSeries(series, reason):
            return "series \(series) cannot be stacked into a volume: \(reason); import its files separately or fix the series"
        case let .tooLarge(series, voxels, maxBytes):
            return "series \(series) has \(voxels) voxels, more than the limit of \(maxBytes) bytes allows; export fewer slices"
        case .noDICOMFiles(let folder): return "no DICOM files in '\(folder)'"
        }
    }
}

/// One image's attributes, as the shim reads them.
struct DICOMImageInfo {
    let path: String
    let info: mvs_dicom_info
    var seriesUID: String { withUnsafeBytes(of: info.series_uid) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } }
    var modality: String { withUnsafeBytes(of: info.modality) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } }
    var position: [Double] { withUnsafeBytes(of: info.position) { Array($0.bindMemory(to: Double.self)) } }
    var orientation: [Double] { withUnsafeBytes(of: info.orientation) { Array($0.bindMemory(to: Double.self)) } }
    var spacing: [Double] { withUnsafeBytes(of: info.pixel_spacing) { Array($0.bindMemory(to: Double.self)) } }
}

public enum DICOM {
    private static let messageCapacity = 256

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether the file at `path` starts like a DICOM Part 10 file ("DICM" after a 128-byte preamble).
    public static func isDICOMFile(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 132), head.count == 132 else { return false }
        return head.suffix(4).elementsEqual("DICM".utf8)
    }

    static func info(_ path: String) throws(DICOMError) -> DICOMImageInfo {
        var info = mvs_dicom_info()
        var buffer = [CChar](repeating: 0, count: messageCapacity)
        let status = buffer.withUnsafeMutableBufferPointer { mvs_dicom_read_info(path, &info, $0.baseAddress, $0.count) }
        let file = (path as NSString).lastPathComponent
        switch status {
        case MVS_DICOM_OK: return DICOMImageInfo(path: path, info: info)
        case MVS_DICOM_NO_IMAGE: throw .noImage(file: file)
        default: throw .unreadable(file: file, call: "mvs_dicom_read_info", message: text(buffer))
        }
    }

    /// Reads the DICOM files `paths` and stacks each series into a volume (world axes turned from
    /// DICOM's LPS into NIfTI's RAS). A gap in a series (a missing file) becomes slices of the
    /// series' lowest value, named in the volume's note, so the geometry stays regular.
    ///
    /// ```swift
    /// for (volume, modality) in try DICOM.readSeries(files) { print(volume.dims, modality ?? "?") }
    /// ```
    public static func readSeries(_ paths: [String], limits: VolumeLimits = .default) throws(DICOMError) -> [(volume: Volume, modality: String?, series: String)] {
        var bySeries: [String: [DICOMImageInfo]] = [:]
        for path in paths {
            let image = try info(path)
            bySeries[image.seriesUID, default: []].append(image)
        }
        var result: [(Volume, String?, String)] = []
        for uid in bySeries.keys.sorted() {
            result.append(try stack(bySeries[uid]!, series: uid.isEmpty ? "(no SeriesInstanceUID)" : uid, limits: limits))
        }
        return result
    }

    private static func stack(_ images: [DICOMImageInfo], series: String, limits: VolumeLimits) throws(DICOMError) -> (Volume, String?, String) {
        let first = images[0]
        let rows = Int(first.info.rows), columns = Int(first.info.columns)
        guard images.allSatisfy({ Int($0.info.rows) == rows && Int($0.info.columns) == columns }) else {
            throw .inconsistentSeries(series: series, reason: "its images differ in size")
        }
        let orientation = first.info.has_orientation != 0 ? first.orientation : [1, 0, 0, 0, 1, 0]
        guard images.allSatisfy({ zip($0.orientation, orientation).allSatisfy { abs($0 - $1) < 1e-4 } || $0.info.has_orientation == 0 }) else {
            throw .inconsistentSeries(series: series, reason: "its images differ in orientation")
        }
        let rowDirection = Array(orientation[0..<3]), columnDirection = Array(orientation[3..<6])
        let normal = [rowDirection[1] * columnDirection[2] - rowDirection[2] * columnDirection[1],
                      rowDirection[2] * columnDirection[0] - rowDirection[0] * columnDirection[2],
                      rowDirection[0] * columnDirection[1] - rowDirection[1] * columnDirection[0]]
        guard images.count == 1 || images.allSatisfy({ $0.info.has_position != 0 }) else {
            throw .inconsistentSeries(series: series, reason: "an image has no ImagePositionPatient")
        }
        let along = { (image: DICOMImageInfo) -> Double in zip(image.position, normal).map(*).reduce(0, +) }
        let ordered = images.sorted { along($0) < along($1) }
        let distances = zip(ordered.dropFirst(), ordered).map { along($0) - along($1) }
        guard distances.allSatisfy({ $0 > 1e-3 }) else {
            throw .inconsistentSeries(series: series, reason: "two images share a position (duplicates or several acquisitions)")
        }
        // The usual step is the smallest distance; larger ones must be whole multiples (missing files).
        let step = distances.min() ?? (first.info.slice_thickness > 0 ? first.info.slice_thickness : 1)
        var slots: [Int] = [0]
        for distance in distances {
            let multiple = (distance / step).rounded()
            guard abs(distance - multiple * step) < 0.05 * step, multiple <= 64 else {
                throw .inconsistentSeries(series: series, reason: "its slices are not evenly spaced")
            }
            slots.append(slots.last! + Int(multiple))
        }
        let depth = slots.last! + 1
        let count = rows * columns
        let (voxelCount, overflow) = count.multipliedReportingOverflow(by: depth)
        guard !overflow, voxelCount <= limits.maxBytes / 4 else { throw .tooLarge(series: series, voxels: voxelCount, maxBytes: limits.maxBytes) }
        var voxels = [Float](repeating: .nan, count: voxelCount)
        for (image, slot) in zip(ordered, slots) {
            var buffer = [CChar](repeating: 0, count: messageCapacity)
            let file = (image.path as NSString).lastPathComponent
            let status = voxels.withUnsafeMutableBufferPointer { out in
                buffer.withUnsafeMutableBufferPointer { mvs_dicom_read_pixels(image.path, out.baseAddress! + slot * count, count, $0.baseAddress, $0.count) }
            }
            switch status {
            case MVS_DICOM_OK: break
            case MVS_DICOM_UNSUPPORTED: throw .unsupported(file: file, message: text(buffer))
            case MVS_DICOM_NO_IMAGE: throw .noImage(file: file)
            default: throw .unreadable(file: file, call: "mvs_dicom_read_pixels", message: text(buffer))
            }
        }
        let missing = (0..<depth).filter { !slots.contains($0) }
        if !missing.isEmpty {
            let low = voxels.lazy.filter { !$0.isNaN }.min() ?? 0
            for slot in missing { for i in (slot * count)..<((slot + 1) * count) { voxels[i] = low } }
        }
        // Voxel (i, j, k): i along a row (column index), j down the columns, k along the normal.
        let spacing = [first.info.pixel_spacing.1, first.info.pixel_spacing.0, step]
        let origin = ordered[0].position
        let lps = (0..<3).map { axis in
            [rowDirection[axis] * spacing[0], columnDirection[axis] * spacing[1], normal[axis] * spacing[2], origin[axis]]
        }
        // DICOM's patient axes are LPS; NIfTI's RAS: x and y change sign.
        let affine = [lps[0].map { -$0 }, lps[1].map { -$0 }, lps[2], [0, 0, 0, 1]]
        let modality = first.modality.isEmpty ? nil : first.modality
        let integer = [8, 16].contains(Int(first.info.bits_allocated))
        let slope = first.info.rescale_slope
        let sameScaling = images.allSatisfy { $0.info.rescale_slope == slope }
        let volume = Volume(
            format: "DICOM", dims: [columns, rows, depth], spacing: spacing, affine: affine, affineSource: "DICOM",
            qformCode: 1, sformCode: 1, qform: affine, sform: affine, xyzUnits: 2, voxels: voxels,
            valueStep: integer && sameScaling && slope > 0 ? slope : nil,
            datatype: "\(first.info.pixel_representation == 1 ? "int" : "uint")\(first.info.bits_allocated)",
            description: nil,
            note: missing.isEmpty ? nil : "slice(s) \(missing.map(String.init).joined(separator: ", ")) missing from the series: filled with its lowest value")
        return (volume, modality, series)
    }
}
