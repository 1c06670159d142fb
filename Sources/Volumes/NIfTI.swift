import CNIfTIShims
import Foundation
import ProjectStore

// The one place where nifti_clib (libnifti2, through the C shims) is called. Every failure becomes
// a `NIfTIError` that names the call and says what to do.

/// Why a NIfTI file could not be read.
public enum NIfTIError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Not a `.nii` / `.nii.gz` name (the library would also look for `.hdr`/`.img` pairs).
    case unsupportedFileName(String)
    /// The header is missing, truncated, or not NIfTI-1/2 (`call` names the shim function).
    case unreadableHeader(file: String, call: String)
    /// The header declares dimensions that make no volume (zero, negative, more than 3 spatial).
    case invalidDimensions(file: String, dims: [Int])
    /// The voxel data would exceed the allocation cap: refused before anything is allocated.
    case tooLarge(file: String, dims: [Int], bytes: Int, maxBytes: Int)
    /// The file holds fewer voxel bytes than its header declares (a lying or truncated file).
    case dataUnreadable(file: String, call: String)
    /// Complex, RGB or unknown voxel types.
    case unsupportedDatatype(file: String, code: Int)
    /// A volume could not be written, or did not read back as written.
    case writeFailed(file: String, call: String)

    public var description: String {
        switch self {
        case .unsupportedFileName(let name):
            return "'\(name)' is not a .nii or .nii.gz file; convert .hdr/.img pairs to .nii first"
        case let .unreadableHeader(file, call):
            return "\(call): '\(file)' has no readable NIfTI-1/NIfTI-2 header (truncated or not NIfTI); export it again"
        case let .invalidDimensions(file, dims):
            return "'\(file)' declares dimensions \(dims), which make no image volume; check the file's header"
        case let .tooLarge(file, dims, bytes, maxBytes):
            return "'\(file)' declares \(dims.map(String.init).joined(separator: " x ")) voxels (\(bytes) bytes), "
                + "more than the limit of \(maxBytes) bytes; crop or downsample the volume first"
        case let .dataUnreadable(file, call):
            return "\(call): '\(file)' holds fewer voxels than its header declares (truncated, or the header lies); export it again"
        case let .unsupportedDatatype(file, code):
            return "'\(file)' stores voxels as NIfTI datatype \(code) (complex or RGB); only scalar volumes can be sliced"
        case let .writeFailed(file, call):
            return "\(call): could not write '\(file)'; check that its folder exists, is writable and has space"
        }
    }
}

/// Limits applied to a NIfTI header before its voxels are read.
public struct VolumeLimits: Sendable {
    /// Most bytes the voxel data (as stored) and their float copy may take together.
    public var maxBytes: Int
    public init(maxBytes: Int = 2 << 30) { self.maxBytes = maxBytes }
    public static let `default` = VolumeLimits()
}

/// An opened NIfTI file: owns the library's `nifti_image`.
private final class NIfTIFile {
    let handle: OpaquePointer
    let header: mvs_nifti_header

    init(path: String, file: String) throws(NIfTIError) {
        var handle: OpaquePointer? = nil
        var header = mvs_nifti_header()
        let status = mvs_nifti_open(path, &handle, &header)
        guard status == MVS_NIFTI_OK, let handle else { throw .unreadableHeader(file: file, call: "mvs_nifti_open") }
        self.handle = handle
        self.header = header
    }

    deinit { mvs_nifti_close(handle) }
}

public enum NIfTI {
    /// Reads a `.nii` or `.nii.gz` file (NIfTI-1 or NIfTI-2) into a float volume with its geometry.
    /// The header is checked against `limits` before any voxel is read; 4D files give their first
    /// volume and say so in `Volume.note`.
    ///
    /// ```swift
    /// let volume = try NIfTI.read("ct.nii.gz")
    /// print(volume.dims, volume.spacing, volume.acquisitionPlane)
    /// ```
    public static func read(_ path: String, limits: VolumeLimits = .default) throws(NIfTIError) -> Volume {
        let file = (path as NSString).lastPathComponent
        let lower = file.lowercased()
        guard lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz") else { throw .unsupportedFileName(file) }
        let nifti = try NIfTIFile(path: path, file: file)
        let header = nifti.header
        let allDims = withUnsafeBytes(of: header.dim) { Array($0.bindMemory(to: Int64.self)) }.map { Int($0) }
        let rank = allDims[0]
        guard (1...7).contains(rank) else { throw .invalidDimensions(file: file, dims: allDims) }
        let declared = Array(allDims[1...rank])
        guard declared.allSatisfy({ $0 >= 1 }) else { throw .invalidDimensions(file: file, dims: declared) }
        // Frames beyond the third dimension (time, echoes) must be 1, except the 4th: its first volume is used.
        guard declared.dropFirst(4).allSatisfy({ $0 == 1 }) else { throw .invalidDimensions(file: file, dims: declared) }
        let dims = (0..<3).map { $0 < rank ? declared[$0] : 1 }
        let frames = rank >= 4 ? declared[3] : 1

        var total = Int64(header.bytes_per_voxel) + 4
        var overflow = false
        for size in declared {
            let (product, over) = total.multipliedReportingOverflow(by: Int64(size))
            total = product
            overflow = overflow || over
        }
        guard !overflow, total <= Int64(limits.maxBytes) else {
            throw .tooLarge(file: file, dims: declared, bytes: overflow ? Int.max : Int(total), maxBytes: limits.maxBytes)
        }
        guard Self.scalarDatatypes.contains(Int(header.datatype)) else {
            throw .unsupportedDatatype(file: file, code: Int(header.datatype))
        }
        guard mvs_nifti_load(nifti.handle) == MVS_NIFTI_OK else { throw .dataUnreadable(file: file, call: "mvs_nifti_load") }
        let count = dims[0] * dims[1] * dims[2]
        var voxels = [Float](repeating: 0, count: count)
        let status = voxels.withUnsafeMutableBufferPointer { mvs_nifti_copy_floats(nifti.handle, $0.baseAddress, count) }
        guard status == MVS_NIFTI_OK else { throw .unsupportedDatatype(file: file, code: Int(header.datatype)) }

        let pixdim = withUnsafeBytes(of: header.pixdim) { Array($0.bindMemory(to: Double.self)) }
        let spacing = (1...3).map { pixdim[$0] > 0 && pixdim[$0].isFinite ? pixdim[$0] : 1 }
        let sform = withUnsafeBytes(of: header.sto_xyz) { Array($0.bindMemory(to: Double.self)) }
        let qform = withUnsafeBytes(of: header.qto_xyz) { Array($0.bindMemory(to: Double.self)) }
        // The NIfTI rule: sform when set, else qform, else the spacing alone (ANALYZE method 1).
        let (matrix, affineSource): ([Double], String) =
            header.sform_code > 0 ? (sform, "sform") : header.qform_code > 0 ? (qform, "qform")
            : ([spacing[0], 0, 0, 0, 0, spacing[1], 0, 0, 0, 0, spacing[2], 0, 0, 0, 0, 1], "pixdim")
        let slope = header.scl_slope
        let scaled = slope != 0 && slope.isFinite && !(slope == 1 && header.scl_inter == 0)
        let integerStored = Self.integerDatatypes.contains(Int(header.datatype))
        let descrip = withUnsafeBytes(of: header.descrip) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        var volume = Volume(
            format: "NIfTI-\(header.nifti_version)", dims: dims, spacing: spacing,
            affine: Self.rows(matrix),
            affineSource: affineSource,
            qformCode: Int(header.qform_code), sformCode: Int(header.sform_code),
            qform: header.qform_code > 0 ? Self.rows(qform) : nil,
            sform: header.sform_code > 0 ? Self.rows(sform) : nil,
            xyzUnits: Int(header.xyz_units),
            voxels: voxels,
            // Integer storage stays on a lattice of step `slope` after scaling, which the 16-bit
            // mapping keeps exactly when the range allows.
            valueStep: integerStored ? (scaled ? slope : 1) : nil,
            datatype: Self.datatypeNames[Int(header.datatype)] ?? "code \(header.datatype)",
            description: descrip.isEmpty ? nil : descrip,
            note: frames > 1 ? "4D file: the first of \(frames) volumes is used" : nil)
        volume.frames = frames
        return volume
    }

    /// Writes a uint8 label volume with `geometry` (dims, spacing, qform and sform with their codes,
    /// as the source had them) to `path` (`.nii.gz` compresses). The file is written beside the
    /// target under a temporary name, read back to check its header, then renamed into place.
    ///
    /// ```swift
    /// try NIfTI.writeLabels(voxels, geometry: try project.volume("ct"), to: "ct_liver.nii.gz")
    /// ```
    public static func writeLabels(_ voxels: [UInt8], geometry: VolumeSidecar, to path: String) throws(NIfTIError) {
        let file = (path as NSString).lastPathComponent
        guard VolumeImport.isVolumeFile(file) else { throw .unsupportedFileName(file) }
        var cGeometry = mvs_nifti_geometry()
        cGeometry.dim = (Int64(geometry.dims[0]), Int64(geometry.dims[1]), Int64(geometry.dims[2]))
        cGeometry.pixdim = (geometry.spacing[0], geometry.spacing[1], geometry.spacing[2])
        cGeometry.qform_code = Int32(geometry.qform == nil ? 0 : geometry.qformCode)
        cGeometry.sform_code = Int32(geometry.sform == nil ? 0 : geometry.sformCode)
        cGeometry.xyz_units = Int32(geometry.xyzUnits)
        withUnsafeMutableBytes(of: &cGeometry.qto_xyz) { raw in
            for (index, value) in (geometry.qform ?? geometry.affine).joined().enumerated() { raw.storeBytes(of: value, toByteOffset: index * 8, as: Double.self) }
        }
        withUnsafeMutableBytes(of: &cGeometry.sto_xyz) { raw in
            for (index, value) in (geometry.sform ?? geometry.affine).joined().enumerated() { raw.storeBytes(of: value, toByteOffset: index * 8, as: Double.self) }
        }
        let folder = (path as NSString).deletingLastPathComponent
        let lower = file.lowercased()
        let partial = (folder.isEmpty ? "" : folder + "/") + ".partial-\(getpid())-" + file
        let status = voxels.withUnsafeBufferPointer { mvs_nifti_write_uint8(partial, &cGeometry, $0.baseAddress, $0.count) }
        guard status == MVS_NIFTI_OK else { throw .writeFailed(file: file, call: "mvs_nifti_write_uint8") }
        // nifti_image_write reports nothing: the file must read back with the dims written.
        let check = try? NIfTIFile(path: partial, file: file)
        let written = check.map { file in withUnsafeBytes(of: file.header.dim) { Array($0.bindMemory(to: Int64.self)) } }
        guard let written, Array(written[1...3]) == geometry.dims.map(Int64.init), lower.hasSuffix(".nii.gz") || lower.hasSuffix(".nii") else {
            unlink(partial)
            throw .writeFailed(file: file, call: "nifti_image_write")
        }
        do { try FileSystem.moveAtomically(partial, to: path) } catch {
            unlink(partial)
            throw .writeFailed(file: file, call: "rename")
        }
    }

    private static func rows(_ matrix: [Double]) -> [[Double]] {
        (0..<4).map { row in Array(matrix[(row * 4)..<(row * 4 + 4)]) }
    }

    static let integerDatatypes: Set<Int> = [2, 4, 8, 256, 512, 768, 1024, 1280]
    static let scalarDatatypes: Set<Int> = integerDatatypes.union([16, 64])
    static let datatypeNames: [Int: String] = [
        2: "uint8", 4: "int16", 8: "int32", 16: "float32", 64: "float64", 256: "int8",
        512: "uint16", 768: "uint32", 1024: "int64", 1280: "uint64",
    ]
}
