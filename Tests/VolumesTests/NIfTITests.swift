import Foundation
import Testing
@testable import Volumes

func fixture(_ name: String) -> String {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name).path
}

/// The value formulas of the fixtures (Training/fixtures/make_volume_fixtures.py).
func ctValue(_ i: Int, _ j: Int, _ k: Int) -> Float { Float(-1024 + i + 20 * j + 400 * k) }

/// Reading NIfTI-1/2 through libnifti2: geometry, scaling, datatypes, and hostile headers.
@Suite struct NIfTITests {
    @Test func gzippedInt16CTKeepsValuesAndGeometry() throws {
        let volume = try NIfTI.read(fixture("ct_ras_int16.nii.gz"))
        #expect(volume.format == "NIfTI-1")
        #expect(volume.dims == [20, 16, 6])
        #expect(volume.spacing.map { ($0 * 1000).rounded() / 1000 } == [0.8, 0.7, 2.5])
        #expect(volume.affineSource == "sform")
        #expect(volume.sformCode == 1 && volume.qformCode == 1)
        #expect(abs(volume.affine[0][0] - 0.8) < 1e-6 && volume.affine[0][3] == -10 && volume.affine[2][3] == 30)
        #expect(volume.affine[3] == [0, 0, 0, 1])
        #expect(volume.datatype == "int16" && volume.valueStep == 1)
        #expect(volume.orientation == "RAS")
        #expect(volume.acquisitionPlane == .axial)
        for (i, j, k) in [(0, 0, 0), (19, 15, 5), (3, 7, 2)] {
            #expect(volume.voxels[i + 20 * j + 320 * k] == ctValue(i, j, k))
        }
    }

    @Test func sclSlopeAndInterceptAreAppliedAndQformUsedWithoutSform() throws {
        let volume = try NIfTI.read(fixture("lps_scaled_uint16.nii"))
        #expect(volume.affineSource == "qform" && volume.sformCode == 0)
        #expect(volume.orientation == "LPS")
        #expect(volume.valueStep == 0.5)
        #expect(volume.datatype == "uint16")
        for (i, j, k) in [(0, 0, 0), (11, 9, 7), (5, 2, 3)] {
            #expect(volume.voxels[i + 12 * j + 120 * k] == 0.5 * Float(i + 12 * j + 120 * k) - 100)
        }
        #expect(abs(volume.affine[0][0] + 1.5) < 1e-6 && abs(volume.affine[1][3] - 120) < 1e-4)
    }

    @Test func nifti2ObliqueFloatIsCoronal() throws {
        let volume = try NIfTI.read(fixture("oblique_coronal_float32.nii"))
        #expect(volume.format == "NIfTI-2")
        #expect(volume.datatype == "float32" && volume.valueStep == nil)
        #expect(volume.acquisitionPlane == .coronal)
        #expect(volume.voxelAxis(for: .coronal) == 2)
        #expect(volume.voxelAxis(for: .axial) == 1)
        #expect(volume.voxelAxis(for: .sagittal) == 0)
        #expect(volume.orientation == "RSA")
        // 20 degrees about x: k's column is 3 * (0, cos 20, sin 20).
        #expect(abs(volume.affine[1][2] - 3 * cos(20 * Double.pi / 180)) < 1e-5)
        let expected: Float = 0.25 * 8 - 0.5 * 6 + 3 * 4
        #expect(volume.voxels[8 + 9 * 6 + 63 * 4] == expected)
    }

    @Test func fourDFilesGiveTheirFirstVolumeAndSaySo() throws {
        let volume = try NIfTI.read(fixture("four_d_uint8.nii"))
        #expect(volume.dims == [4, 3, 2])
        #expect(volume.voxels == (0..<24).map { Float($0) })
        #expect(volume.note == "4D file: the first of 3 volumes is used")
    }

    @Test func hostileFilesGiveClearErrors() throws {
        #expect(throws: NIfTIError.unreadableHeader(file: "hostile_truncated_header.nii", call: "mvs_nifti_open")) {
            try NIfTI.read(fixture("hostile_truncated_header.nii"))
        }
        #expect(throws: NIfTIError.unreadableHeader(file: "hostile_not_nifti.nii", call: "mvs_nifti_open")) {
            try NIfTI.read(fixture("hostile_not_nifti.nii"))
        }
        #expect(throws: NIfTIError.dataUnreadable(file: "hostile_lying_dims.nii", call: "mvs_nifti_load")) {
            try NIfTI.read(fixture("hostile_lying_dims.nii"))
        }
        let maxBytes = VolumeLimits.default.maxBytes
        #expect(throws: NIfTIError.tooLarge(file: "hostile_huge_nifti1.nii.gz", dims: [30000, 30000, 30000],
                                            bytes: 30000 * 30000 * 30000 * 6, maxBytes: maxBytes)) {
            try NIfTI.read(fixture("hostile_huge_nifti1.nii.gz"))
        }
        #expect(throws: NIfTIError.tooLarge(file: "hostile_60000_cubed_nifti2.nii", dims: [60000, 60000, 60000],
                                            bytes: 60000 * 60000 * 60000 * 6, maxBytes: maxBytes)) {
            try NIfTI.read(fixture("hostile_60000_cubed_nifti2.nii"))
        }
        // Found by FuzzVolumes: a NIfTI-2 header whose dim[0] is 2^32 + 3 made libnifti2 2.1.0 write
        // past a stack array (a crash, and a memory-safety hole for uploads); the shim refuses it first.
        #expect(throws: NIfTIError.unreadableHeader(file: "hostile_nifti2_dim0_overflow.nii", call: "mvs_nifti_open")) {
            try NIfTI.read(fixture("hostile_nifti2_dim0_overflow.nii"))
        }
        #expect(throws: NIfTIError.unsupportedFileName("scan.hdr")) { try NIfTI.read("/nonexistent/scan.hdr") }
        #expect(throws: NIfTIError.unreadableHeader(file: "missing.nii", call: "mvs_nifti_open")) {
            try NIfTI.read("/nonexistent/missing.nii")
        }
        // The cap applies to ordinary files too: 20 x 16 x 6 int16 + float copy is 11520 bytes.
        #expect(throws: NIfTIError.tooLarge(file: "ct_ras_int16.nii.gz", dims: [20, 16, 6], bytes: 11520, maxBytes: 10000)) {
            try NIfTI.read(fixture("ct_ras_int16.nii.gz"), limits: VolumeLimits(maxBytes: 10000))
        }
        for error in [NIfTIError.tooLarge(file: "a.nii", dims: [1, 2], bytes: 3, maxBytes: 2),
                      .dataUnreadable(file: "a.nii", call: "mvs_nifti_load")] {
            #expect(error.description.contains("a.nii"))
        }
    }
}
