import Foundation
import Imaging
import ProjectStore
import TestSupport
import Testing
@testable import Volumes

/// DICOM series through DCMTK: grouping, ordering by position, a missing slice, RLE, rescale, hostile files.
@Suite struct DICOMTests {
    private func files(_ folder: String) throws -> [String] {
        let path = fixture(folder)
        return try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 }
    }

    /// HU of the CT fixture's voxel (i, j) at position k (Training/fixtures/make_volume_fixtures.py).
    private func hu(_ i: Int, _ j: Int, _ k: Int) -> Float { Float(i + 16 * j + 200 * k - 1024) }

    @Test func seriesAreGroupedOrderedByPositionAndRescaled() throws {
        let paths = try files("dicom_series")
        #expect(paths.allSatisfy(DICOM.isDICOMFile))
        #expect(!DICOM.isDICOMFile(fixture("ct_ras_int16.nii.gz")))
        let series = try DICOM.readSeries(paths)
        #expect(series.map(\.modality) == ["CT", "MR"])
        let ct = series[0].volume
        #expect(ct.dims == [16, 12, 6])
        #expect(ct.spacing == [0.8, 0.6, 2.5])
        #expect(ct.valueStep == 1 && ct.datatype == "int16")
        #expect(ct.note == "slice(s) 3 missing from the series: filled with its lowest value")
        // Files are named at random; position along the normal orders them, the RLE one (k = 4) included.
        for (i, j, k) in [(0, 0, 0), (15, 11, 5), (3, 7, 4), (9, 2, 1)] {
            #expect(ct.voxels[i + 16 * j + 192 * k] == hu(i, j, k))
        }
        #expect(ct.voxels[5 + 16 * 5 + 192 * 3] == hu(0, 0, 0), "the missing slice holds the series' lowest value")
        // LPS (-4, -3, -50) becomes RAS (4, 3, -50); columns run to +L (RAS -x), rows to +P (RAS -y).
        #expect(ct.affine == [[-0.8, 0, 0, 4], [0, -0.6, 0, 3], [0, 0, 2.5, -50], [0, 0, 0, 1]])
        #expect(ct.orientation == "LPS" && ct.acquisitionPlane == .axial)

        let mr = series[1].volume
        #expect(mr.dims == [8, 8, 2] && mr.acquisitionPlane == .coronal)
        #expect(mr.voxels[3 + 8 * 2 + 64] == Float(7 + 3 + 16 + 64))
    }

    @Test func importRecordsModalityAndGeometry() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try ProjectLibrary(root: directory.path).createProject(name: "DICOM", labels: ["organ"])
        let sidecars = try VolumeImport.importDICOM(try files("dicom_series"), source: "thorax", into: project)
        #expect(sidecars.map(\.id) == ["thorax-series1", "thorax-series2"])
        #expect(sidecars.map(\.modality) == ["CT", "MR"])
        let ct = sidecars[0]
        #expect(ct.format == "DICOM" && ct.slices.count == 6 && ct.intensity == IntensityMapping(scale: 1, offset: -1024, lossless: true))
        let image = try project.loadImage(ct.slices[2].image)
        // Axial LPS slices: columns along i (to the patient's left, not reversed), rows along j (posterior, not reversed).
        #expect(ct.intensity.value(ofStored: Int(image.samples[4 * 16 + 7])) == Double(hu(7, 4, 2)))
    }

    @Test func labelsExportOntoTheSeriesGeometry() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try ProjectLibrary(root: directory.path).createProject(name: "DICOM", labels: ["organ"])
        let ct = try VolumeImport.importDICOM(try files("dicom_series"), source: "thorax", into: project)[0]
        try project.accept(label: "organ", image: ct.slices[2].image,
                           mask: BinaryMask(width: 16, height: 12, pixels: (0..<192).map { $0 == 4 * 16 + 7 }),
                           annotator: "test", interactions: 1)
        let written = try VolumeExport.writeLabelVolumes(project, label: "organ", to: directory.file("out"))
        #expect(written.map(\.file) == ["thorax-series1_organ.nii.gz", "thorax-series2_organ.nii.gz"])
        let labels = try NIfTI.read(directory.file("out/thorax-series1_organ.nii.gz"))
        #expect(labels.dims == [16, 12, 6] && labels.sformCode == 1 && labels.qformCode == 1)
        #expect(labels.sform == [[-0.8, 0, 0, 4], [0, -0.6, 0, 3], [0, 0, 2.5, -50], [0, 0, 0, 1]].map { $0.map { Double(Float($0)) } })
        #expect(labels.voxels.indices.filter { labels.voxels[$0] == 1 } == [7 + 16 * 4 + 192 * 2])
    }

    @Test func hostileFilesGiveClearErrors() throws {
        let report = fixture("dicom_hostile/report.dcm")
        #expect(throws: DICOMError.noImage(file: "report.dcm")) { try DICOM.readSeries([report]) }
        do {
            _ = try DICOM.readSeries([fixture("dicom_hostile/truncated.dcm")])
            Issue.record("a truncated file was read")
        } catch let error as DICOMError {
            guard case .unreadable(let file, _, _) = error else { Issue.record("\(error)"); return }
            #expect(file == "truncated.dcm")
        }
        #expect(throws: DICOMError.self) { try DICOM.readSeries([fixture("ct_ras_int16.nii.gz")]) }
        #expect(throws: DICOMError.tooLarge(series: "1.2.826.0.1.3680043.10.1471.2", voxels: 16 * 12 * 6, maxBytes: 1000)) {
            try DICOM.readSeries(try files("dicom_series"), limits: VolumeLimits(maxBytes: 1000))
        }
    }
}
