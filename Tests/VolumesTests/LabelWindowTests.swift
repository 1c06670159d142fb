import Foundation
import Imaging
import PNGCodec
import ProjectStore
import TestSupport
import Testing
@testable import Volumes

/// A label's window: the mapping from stored 16-bit slices to the network's 0...1, the presets,
/// where it is stored, and images it leaves alone.
@Suite struct LabelWindowTests {
    private func png16(_ samples: [UInt16], width: Int) throws -> PNGImage {
        try PNGImage(width: width, height: samples.count / width, channels: 1, bitDepth: 16, samples: samples)
    }

    @Test func theMappingGoesThroughSourceUnits() throws {
        // CT stored as HU + 1024; soft tissue 40/400 spans -160...240 HU.
        let ct = IntensityMapping(scale: 1, offset: -1024, lossless: true)
        let soft = try #require(LabelWindow(preset: .softTissue).resolved(percentiles: nil))
        let image = try LabelWindow.apply(soft, mapping: ct, to: try png16([0, 1024, 1184, 1264, 2000, 964], width: 3))
        #expect(image.windowed && image.width == 3 && image.height == 2)
        // -1024 HU -> 0; 0 HU -> 160/400; 160 HU -> 320/400; 240 HU -> 1; 976 HU -> 1; -60 HU -> 100/400.
        #expect(image.pixels == [0, 0.4, 0.8, 1, 1, 0.25])
        #expect(image.normalisedPixels() == image.pixels, "a windowed image is not min-max stretched again")

        // scale 2, offset -1000; lung -600/1500 spans -1350...150.
        let scaled = IntensityMapping(scale: 2, offset: -1000, lossless: true)
        let lung = try #require(LabelWindow(preset: .lung).resolved(percentiles: nil))
        let other = try LabelWindow.apply(lung, mapping: scaled, to: try png16([0, 500, 100, 575], width: 4))
        // -1000 -> 350/1500; 0 -> 1350/1500; -800 -> 550/1500; 150 -> 1.
        let expected: [Float] = [350.0 / 1500, 1350.0 / 1500, 550.0 / 1500, 1]
        for (got, want) in zip(other.pixels, expected) { #expect(abs(got - want) < 1e-6) }
    }

    @Test func presetsAndCustomWindowsResolve() throws {
        #expect(LabelWindow(preset: .bone).resolved(percentiles: nil)! == (400, 1800))
        #expect(LabelWindow(preset: .brain).resolved(percentiles: nil)! == (40, 80))
        #expect(LabelWindow(preset: .percentiles).resolved(percentiles: [100, 900])! == (500, 800))
        #expect(LabelWindow(preset: .percentiles).resolved(percentiles: nil) == nil)
        #expect(try LabelWindow(center: -5, width: 10).resolved(percentiles: nil)! == (-5, 10))
        for (center, width) in [(0.0, 0.0), (0, -3), (Double.nan, 5), (0, Double.infinity)] {
            #expect(throws: ProjectStoreError.self) { try LabelWindow(center: center, width: width) }
        }
        // A hostile manifest's custom window without a width is refused when set, unresolved when read.
        let broken = try JSONDecoder().decode(LabelWindow.self, from: Data(#"{"preset":"custom","center":3}"#.utf8))
        #expect(broken.resolved(percentiles: nil) == nil)
        #expect(throws: ProjectStoreError.self) { try broken.validate() }
    }

    @Test func windowIsStoredInTheContextManifestAndAppliesToSlicesOnly() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try ProjectLibrary(root: directory.path).createProject(name: "W", labels: ["organ"])
        let sidecar = try VolumeImport.importNIfTI(fixture("ct_ras_int16.nii.gz"), into: project, selection: .range(2...3))
        let plain = try PNGImage(width: 4, height: 1, channels: 1, bitDepth: 8, samples: [0, 50, 100, 200]).pngData()
        let photo = try project.importImage(name: "photo.png", png: plain)
        let slice = sidecar.slices[0].image

        // Without a window every image is what it always was.
        #expect(try project.networkImage(slice, window: nil) == GreyImage(try project.loadImage(slice)))
        #expect(try project.context(label: "organ").window == nil)

        let fingerprintBefore = project.contextRevision(label: "organ").fingerprint
        try project.setWindow(label: "organ", window: LabelWindow(preset: .softTissue))
        let revision = project.contextRevision(label: "organ")
        #expect(revision.window == LabelWindow(preset: .softTissue))
        #expect(revision.fingerprint != fingerprintBefore, "proposals made under another window are out of date")
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: project.folder + "/context/organ.json")), as: UTF8.self)
        #expect(text.contains(#""preset" : "soft-tissue""#), "\(text)")

        let windowed = try project.networkImage(slice, window: revision.window)
        let stored = try project.loadImage(slice)
        #expect(windowed.windowed)
        for i in [0, 17, 150] {
            let hu = sidecar.intensity.value(ofStored: Int(stored.samples[i]))
            #expect(abs(Double(windowed.pixels[i]) - min(max((hu + 160) / 400, 0), 1)) < 1e-6)
        }
        // A plain image ignores the label's window: the 8-bit path is unchanged.
        let photoImage = try project.networkImage(photo, window: revision.window)
        #expect(photoImage == GreyImage(try project.loadImage(photo)) && !photoImage.windowed)

        // The percentiles preset uses the volume's own 0.5 / 99.5 percentiles from the sidecar.
        let percentiles = try #require(sidecar.percentiles)
        #expect(percentiles[0] < percentiles[1])
        let mr = try project.networkImage(slice, window: LabelWindow(preset: .percentiles))
        let (center, width) = ((percentiles[0] + percentiles[1]) / 2, percentiles[1] - percentiles[0])
        let hu = sidecar.intensity.value(ofStored: Int(stored.samples[17]))
        #expect(abs(Double(mr.pixels[17]) - min(max((hu - center + width / 2) / width, 0), 1)) < 1e-6)

        // Clearing the window restores the manifest's earlier fingerprint.
        try project.setWindow(label: "organ", window: nil)
        #expect(project.contextRevision(label: "organ").fingerprint == fingerprintBefore)
        #expect(throws: ProjectStoreError.unknownLabel("nope")) { try project.setWindow(label: "nope", window: nil) }
    }

    /// The sidecars behind `networkImage` are remembered by their stamps (`StampedCache.shared`
    /// keeps what is 2 s old): a volume another app adds, or a sidecar rewritten by hand in place,
    /// shows at the next prediction.
    @Test func sidecarsAddedOrRewrittenAfterAReadAreSeen() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try ProjectLibrary(root: directory.path).createProject(name: "V", labels: ["organ"])
        let first = try VolumeImport.importNIfTI(fixture("ct_ras_int16.nii.gz"), into: project, selection: .range(2...2))
        let window = LabelWindow(preset: .softTissue)
        Thread.sleep(forTimeInterval: 2.3)
        let slice = first.slices[0].image
        let before = try project.networkImage(slice, window: window)
        let again = try project.networkImage(slice, window: window)
        #expect(before.windowed && again == before)

        // Another app on the same folder imports a second volume: its slices are windowed too.
        let other = try ProjectLibrary(root: directory.path).project(project.id)
        let second = try VolumeImport.importNIfTI(fixture("ct_ras_int16.nii.gz"), into: other, selection: .range(3...3))
        #expect(try project.networkImage(second.slices[0].image, window: window).windowed)
        #expect(project.volumeIDs() == [first.id, second.id].sorted())

        // A hand edit rewrites the first sidecar in place (no rename: only the file's stamp changes).
        Thread.sleep(forTimeInterval: 2.3)
        let unchanged = try project.networkImage(slice, window: window)
        #expect(unchanged == before)
        var edited = first
        edited.intensity.offset -= 100
        let file = try #require(FileHandle(forWritingAtPath: project.folder + "/volumes/\(first.id).json"))
        try file.truncate(atOffset: 0)
        try file.write(contentsOf: try JSONEncoder().encode(edited))
        try file.close()
        #expect(try project.volume(first.id).intensity.offset == first.intensity.offset - 100)
        let after = try project.networkImage(slice, window: window)
        #expect(after.windowed && after != before)
        let stored = try project.loadImage(slice)
        let hu = edited.intensity.value(ofStored: Int(stored.samples[17]))
        #expect(abs(Double(after.pixels[17]) - min(max((hu + 160) / 400, 0), 1)) < 1e-6)
    }
}
