import Foundation
import PNGCodec
import ProjectStore
import TestSupport
import Testing
@testable import Volumes

/// Slicing a volume into project images: planes, layouts, selections, the 16-bit mapping and the sidecar.
@Suite struct VolumeImportTests {
    private func makeProject() throws -> (TemporaryDirectory, Project) {
        let directory = try TemporaryDirectory()
        let project = try ProjectLibrary(root: directory.path).createProject(name: "Volumes", labels: ["organ"])
        return (directory, project)
    }

    @Test func axialSlicesAreLaidOutAsViewersShowThem() throws {
        let volume = try NIfTI.read(fixture("ct_ras_int16.nii.gz"))
        let layout = volume.layout(across: 2)
        #expect(layout == SliceLayout(sliceAxis: 2, columnAxis: 0, rowAxis: 1, columnsReversed: true, rowsReversed: true))
        let slice = volume.slice(across: 2, at: 3)
        #expect(slice.width == 20 && slice.height == 16)
        // Row 0 is the most anterior j, column 0 the patient's right (largest i in RAS).
        #expect(slice.values[0] == ctValue(19, 15, 3))
        #expect(slice.values[2 * 20 + 5] == ctValue(14, 13, 3))
        let sagittal = volume.slice(across: 0, at: 4)
        #expect(sagittal.width == 16 && sagittal.height == 6)
        #expect(sagittal.values[0] == ctValue(4, 0, 5), "superior on top; anterior columns are not reversed")
    }

    @Test func selectionsParseAndCheckTheirRange() throws {
        #expect(try SliceSelection(parsing: "all").indices(count: 3) == [0, 1, 2])
        #expect(try SliceSelection(parsing: "every:4").indices(count: 10) == [0, 4, 8])
        #expect(try SliceSelection(parsing: "2-4").indices(count: 10) == [2, 3, 4])
        for bad in ["every:0", "4-2", "-1-3", "some", "every:x"] {
            #expect(throws: VolumeImportError.invalidSelection(bad)) { try SliceSelection(parsing: bad) }
        }
        #expect(throws: VolumeImportError.selectionOutOfRange(5...9, count: 6)) { try SliceSelection.range(5...9).indices(count: 6) }
    }

    @Test func ctImportStoresLosslessHounsfieldUnitsAndASidecar() throws {
        let (directory, project) = try makeProject()
        defer { directory.remove() }
        let sidecar = try VolumeImport.importNIfTI(fixture("ct_ras_int16.nii.gz"), into: project, selection: .every(2))
        #expect(sidecar.id == "ct_ras_int16")
        #expect(sidecar.plane == "axial" && sidecar.sliceAxis == 2)
        #expect(sidecar.slices.map(\.index) == [0, 2, 4])
        #expect(sidecar.slices.map(\.image) == ["ct_ras_int16_axial_000", "ct_ras_int16_axial_002", "ct_ras_int16_axial_004"])
        #expect(sidecar.intensity == IntensityMapping(scale: 1, offset: -1024, lossless: true))
        #expect(try project.volume("ct_ras_int16") == sidecar)
        #expect(project.volumeIDs() == ["ct_ras_int16"])
        #expect(project.imageIDs() == sidecar.slices.map(\.image))

        let image = try project.loadImage("ct_ras_int16_axial_002")
        #expect(image.width == 20 && image.height == 16 && image.bitDepth == 16 && image.channels == 1)
        for (x, y) in [(0, 0), (19, 15), (7, 4)] {
            let hu = sidecar.intensity.value(ofStored: Int(image.samples[y * 20 + x]))
            #expect(Float(hu) == ctValue(19 - x, 15 - y, 2))
        }

        // A second import of the same file gets its own ids and sidecar.
        let again = try VolumeImport.importNIfTI(fixture("ct_ras_int16.nii.gz"), into: project, plane: .sagittal, selection: .range(1...2))
        #expect(again.id == "ct_ras_int16-2")
        #expect(again.slices.map(\.image) == ["ct_ras_int16_sagittal_001", "ct_ras_int16_sagittal_002"])
        #expect(try project.loadImage("ct_ras_int16_sagittal_001").width == 16)
    }

    @Test func floatAndScaledVolumesMapTheirRangeOnto16Bits() throws {
        let (directory, project) = try makeProject()
        defer { directory.remove() }
        let scaled = try VolumeImport.importNIfTI(fixture("lps_scaled_uint16.nii"), into: project)
        #expect(scaled.intensity == IntensityMapping(scale: 0.5, offset: -100, lossless: true))
        #expect(scaled.orientation == "LPS" && scaled.slices.count == 8 && scaled.affineSource == "qform")

        let oblique = try VolumeImport.importNIfTI(fixture("oblique_coronal_float32.nii"), into: project)
        #expect(oblique.plane == "coronal" && oblique.format == "NIfTI-2" && oblique.sliceAxis == 2)
        // value = 0.25 i - 0.5 j + 3 k over 9 x 7 x 5: from -3 to 14.
        #expect(oblique.intensity.offset == -3 && !oblique.intensity.lossless)
        #expect(abs(oblique.intensity.scale - 17.0 / 65535) < 1e-12)
        let slice4 = try project.loadImage(oblique.slices[4].image)
        #expect(slice4.width == 9 && slice4.height == 7)
        let values = slice4.samples.map { oblique.intensity.value(ofStored: Int($0)) }
        #expect(abs((values.max() ?? 0) - (0.25 * 8 + 3 * 4)) < 17.0 / 65535)

        let fourD = try VolumeImport.importNIfTI(fixture("four_d_uint8.nii"), into: project)
        #expect(fourD.note == "4D file: the first of 3 volumes is used")
    }

    @Test func hostileVolumesLeaveTheProjectUntouched() throws {
        let (directory, project) = try makeProject()
        defer { directory.remove() }
        for name in ["hostile_lying_dims.nii", "hostile_60000_cubed_nifti2.nii", "hostile_truncated_header.nii"] {
            #expect(throws: VolumeImportError.self) { try VolumeImport.importNIfTI(fixture(name), into: project) }
        }
        #expect(throws: VolumeImportError.selectionOutOfRange(3...7, count: 6)) {
            try VolumeImport.importNIfTI(fixture("ct_ras_int16.nii.gz"), into: project, selection: .range(3...7))
        }
        #expect(project.imageIDs().isEmpty && project.volumeIDs().isEmpty)
    }
}
