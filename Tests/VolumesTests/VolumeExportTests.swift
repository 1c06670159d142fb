import Foundation
import Imaging
import ProjectStore
import TestSupport
import Testing
@testable import Volumes

/// Accepted masks back into their volume's grid, written as a NIfTI label volume with the source's geometry.
@Suite struct VolumeExportTests {
    private func close(_ a: [[Double]]?, _ b: [[Double]]?, tolerance: Double = 1e-5) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return zip(a.joined(), b.joined()).allSatisfy { abs($0 - $1) <= tolerance }
    }

    @Test(arguments: ["ct_ras_int16.nii.gz", "lps_scaled_uint16.nii", "oblique_coronal_float32.nii"])
    func labelVolumesOverlayTheirSourceVoxelForVoxel(source: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try ProjectLibrary(root: directory.path).createProject(name: "Volumes", labels: ["organ"])
        let sidecar = try VolumeImport.importNIfTI(fixture(source), into: project, plane: .sagittal)
        let original = try NIfTI.read(fixture(source))
        let dims = original.dims
        let axis = sidecar.sliceAxis
        let indexVolume = Volume(
            format: original.format, dims: dims, spacing: original.spacing, affine: original.affine,
            affineSource: original.affineSource, qformCode: original.qformCode, sformCode: original.sformCode,
            qform: original.qform, sform: original.sform, xyzUnits: original.xyzUnits,
            voxels: (0..<(dims[0] * dims[1] * dims[2])).map(Float.init), valueStep: 1, datatype: "index",
            description: nil, note: nil)
        // Masks on two slices: a pixel pattern that differs along x and y, so any flip shows.
        var expected = [UInt8](repeating: 0, count: dims[0] * dims[1] * dims[2])
        for slice in [sidecar.slices[1], sidecar.slices[sidecar.slices.count - 1]] {
            let image = try project.loadImage(slice.image)
            let values = (0..<(image.width * image.height)).map { ($0 % image.width) < 2 + ($0 / image.width) % 3 }
            try project.accept(label: "organ", image: slice.image,
                               mask: BinaryMask(width: image.width, height: image.height, pixels: values),
                               annotator: "test", interactions: 1)
            // Where each mask pixel lies: cut the same slice from a volume whose voxels hold their own index.
            let shown = indexVolume.slice(across: axis, at: slice.index)
            for (position, voxel) in shown.values.enumerated() where values[position] { expected[Int(voxel)] = 1 }
        }
        let written = try VolumeExport.writeLabelVolumes(project, label: "organ", to: directory.file("out"))
        let base = try #require(VolumeSidecar.baseName(of: source))
        #expect(written.map(\.file) == ["\(base)_organ.nii.gz"])
        #expect(written.map(\.labeledSlices) == [2])

        let labels = try NIfTI.read(directory.file("out/\(base)_organ.nii.gz"))
        #expect(labels.dims == original.dims)
        #expect(labels.datatype == "uint8" && labels.format == "NIfTI-1")
        #expect(labels.qformCode == original.qformCode && labels.sformCode == original.sformCode)
        #expect(close(labels.sform, original.sform) && close(labels.qform, original.qform, tolerance: 1e-4))
        #expect(close(labels.affine, original.affine, tolerance: 1e-4))
        #expect(zip(labels.spacing, original.spacing).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(labels.voxels == expected.map(Float.init))
        #expect(expected.contains(1))
    }

    @Test func errorsNameWhatIsMissing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try ProjectLibrary(root: directory.path).createProject(name: "Volumes", labels: ["organ"])
        try VolumeImport.importNIfTI(fixture("four_d_uint8.nii"), into: project)
        #expect(throws: ProjectStoreError.unknownLabel("bone")) { try VolumeExport.labelVoxels(project, volume: "four_d_uint8", label: "bone") }
        #expect(throws: ProjectStoreError.unknownVolume("nothing")) { try VolumeExport.labelVoxels(project, volume: "nothing", label: "organ") }
        let empty = try VolumeExport.labelVoxels(project, volume: "four_d_uint8", label: "organ")
        #expect(empty.labeledSlices == 0 && empty.voxels == [UInt8](repeating: 0, count: 24))
        #expect(throws: NIfTIError.writeFailed(file: "x.nii.gz", call: "mvs_nifti_write_uint8")) {
            try NIfTI.writeLabels([0], geometry: try project.volume("four_d_uint8"), to: directory.file("x.nii.gz"))
        }
    }
}
