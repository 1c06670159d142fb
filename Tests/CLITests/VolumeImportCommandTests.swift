import Foundation
import ProjectStore
import TestSupport
import Testing

/// `multiverseg import` with NIfTI volumes, as a user runs it.
@Suite struct VolumeImportCommandTests {
    let fixtures = ServeCommandTests.repositoryRoot + "/Tests/VolumesTests/Fixtures"

    @Test func importsAVolumeFileAndAFolderHoldingOne() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let projects = directory.file("Projects")
        try FileManager.default.createDirectory(atPath: projects, withIntermediateDirectories: true)

        let single = try BuiltTool.run(["import", fixtures + "/ct_ras_int16.nii.gz", "--create", "CT", "--label", "liver",
                                       "--slices", "every:3", "--projects", projects])
        #expect(single.status == 0, "\(single.output)")
        #expect(single.output.contains("ct_ras_int16.nii.gz -> volume 'ct_ras_int16': 2 axial slice(s) of 20x16x6, stored value v means 1.0 * v + -1024.0 (lossless)"))
        #expect(single.output.contains("imported 2 image(s) into project 'ct'"))
        let project = try ProjectLibrary(root: projects).project("ct")
        #expect(try project.volume("ct_ras_int16").slices.map(\.index) == [0, 3])

        // A folder: volumes and PNGs side by side; a hostile volume is skipped with its reason, and the
        // exit status says the import was incomplete.
        let folder = directory.file("incoming")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["lps_scaled_uint16.nii", "hostile_lying_dims.nii"] {
            try FileManager.default.copyItem(atPath: fixtures + "/" + name, toPath: folder + "/" + name)
        }
        let many = try BuiltTool.run(["import", folder, "--project", "ct", "--plane", "sagittal", "--slices", "2-3", "--projects", projects])
        #expect(many.status != 0, "\(many.output)")
        #expect(many.output.contains("1 input(s) could not be imported (reasons above): hostile_lying_dims.nii; the other 2 image(s) were"),
                "\(many.output)")
        #expect(many.output.contains("lps_scaled_uint16.nii -> volume 'lps_scaled_uint16': 2 sagittal slice(s)"))
        #expect(many.output.contains("skipped hostile_lying_dims.nii: mvs_nifti_load: 'hostile_lying_dims.nii' holds fewer voxels than its header declares"))
        #expect(project.volumeIDs() == ["ct_ras_int16", "lps_scaled_uint16"])
    }

    @Test func badPlaneOrSelectionIsRefusedBeforeAnythingIsWritten() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let plane = try BuiltTool.run(["import", fixtures + "/ct_ras_int16.nii.gz", "--project", "p", "--plane", "oblique",
                                      "--projects", directory.path])
        #expect(plane.status != 0)
        #expect(plane.output.contains("--plane must be axial, coronal or sagittal, not 'oblique'"))
        let slices = try BuiltTool.run(["import", fixtures + "/ct_ras_int16.nii.gz", "--project", "p", "--slices", "every:0",
                                       "--projects", directory.path])
        #expect(slices.status != 0)
        #expect(slices.output.contains("invalid slice selection 'every:0'"))
    }
}

/// `multiverseg import` with a folder of DICOM files (names without extension, two series).
@Suite struct DICOMImportCommandTests {
    @Test func importsEachSeriesAsAVolume() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let projects = directory.file("Projects")
        try FileManager.default.createDirectory(atPath: projects, withIntermediateDirectories: true)
        let series = ServeCommandTests.repositoryRoot + "/Tests/VolumesTests/Fixtures/dicom_series"
        let result = try BuiltTool.run(["import", series, "--create", "Thorax", "--label", "lung", "--projects", projects])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("DICOM series (CT) -> volume 'dicom_series-series1': 6 axial slice(s) of 16x12x6, stored value v means 1.0 * v + -1024.0 (lossless)"))
        #expect(result.output.contains("note: slice(s) 3 missing from the series"))
        #expect(result.output.contains("DICOM series (MR) -> volume 'dicom_series-series2': 2 coronal slice(s)"))
        #expect(result.output.contains("imported 8 image(s) into project 'thorax'"))

        let export = try BuiltTool.run(["export", "--format", "nifti", "--project", "thorax", "--label", "lung",
                                                    "-o", directory.file("out"), "--projects", projects])
        #expect(export.status == 0, "\(export.output)")
        #expect(export.output.contains("dicom_series-series1_lung.nii.gz (0 labeled slice(s))"))

        // --multiclass: every label in one file per volume, instead of --label.
        let all = try BuiltTool.run(["export", "--format", "nifti", "--project", "thorax", "--multiclass",
                                     "-o", directory.file("all"), "--projects", projects])
        #expect(all.status == 0, "\(all.output)")
        #expect(all.output.contains("dicom_series-series1_labels.nii.gz (values 1...1: lung 0 labeled slice(s))"), "\(all.output)")
        #expect(FileManager.default.fileExists(atPath: directory.file("all") + "/dicom_series-series2_labels.nii.gz"))
        let both = try BuiltTool.run(["export", "--format", "nifti", "--project", "thorax", "--multiclass", "--label", "lung",
                                      "-o", directory.file("x"), "--projects", projects])
        #expect(both.status != 0 && both.output.contains("leave out --label"), "\(both.output)")
        let neither = try BuiltTool.run(["export", "--project", "thorax", "-o", directory.file("y"), "--projects", projects])
        #expect(neither.status != 0 && neither.output.contains("--label"), "\(neither.output)")
    }
}
