import Foundation
import Imaging
import MicroHTTP
import ProjectStore
@testable import Server
import TestSupport
import Testing
import Volumes
import ZIP

/// The volume routes: upload (.nii, .nii.gz, a zip of DICOM files) with the slice choice, the
/// refusals of what is no 3D volume, a label's window, a slice's place in its volume, the volume
/// order of `next`, and label volumes to download.
@Suite struct VolumeRoutesTests {
    static func ctBytes(dims: [Int] = [12, 10, 6]) -> [UInt8] {
        SyntheticNIfTI.int16(dims: dims, spacing: [0.8, 0.8, 2.5], origin: [-5, -4, 10]) { i, j, k in Int16(-1000 + 100 * i + 7 * j + 3 * k) }
    }

    private func fixture() throws -> LabelingFixture {
        let fixture = try LabelingFixture(model: nil)
        #expect(try fixture.request("POST", "/api/projects", json: #"{"name": "CT", "labels": ["liver", "spleen"]}"#).status == 201)
        return fixture
    }

    private func leftovers(_ fixture: LabelingFixture) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: fixture.app.library.root + "/ct/.scratch")) ?? []
    }

    @Test func uploadedNIfTIBecomesAVolumeWithSliceNavigationAndAWindow() throws {
        let fixture = try fixture()
        let upload = try fixture.request("POST", "/api/projects/ct/volumes?name=abdomen.nii&slices=every:2", body: Self.ctBytes())
        #expect(upload.status == 201, "\(upload.text)")
        let volumes = try #require(try upload.json()["volumes"] as? [[String: Any]])
        #expect(volumes.count == 1 && volumes[0]["id"] as? String == "abdomen" && volumes[0]["slices"] as? Int == 3)
        #expect(try upload.json()["images"] as? Int == 3)
        #expect(leftovers(fixture).isEmpty, "the scratch copy is removed")
        let project = try fixture.app.library.project("ct")
        #expect(project.imageIDs() == ["abdomen_axial_000", "abdomen_axial_002", "abdomen_axial_004"])

        let slice = try fixture.request("GET", "/api/projects/ct/labels/liver/images/abdomen_axial_002/slice").json()
        let volume = try #require(slice["volume"] as? [String: Any])
        #expect(volume["position"] as? Int == 1 && volume["count"] as? Int == 3 && volume["index"] as? Int == 2 && volume["depth"] as? Int == 6)
        #expect(volume["previous"] as? String == "abdomen_axial_000" && volume["next"] as? String == "abdomen_axial_004")
        #expect(slice["applied"] == nil || slice["applied"] is NSNull)

        // Setting the soft-tissue window: the page gets it in stored units (offset -1000 + 0 * 7 ... see mapping).
        let put = try fixture.request("PUT", "/api/projects/ct/labels/liver/window", json: #"{"preset": "soft-tissue"}"#)
        #expect(put.status == 200, "\(put.text)")
        #expect((try put.json()["window"] as? [String: Any])?["preset"] as? String == "soft-tissue")
        let sidecar = try project.volume("abdomen")
        let applied = try #require(try fixture.request("GET", "/api/projects/ct/labels/liver/images/abdomen_axial_000/slice").json()["applied"] as? [String: Any])
        #expect(applied["center"] as? Double == 40 && applied["width"] as? Double == 400)
        #expect(abs((applied["storedCenter"] as? Double ?? 0) - (40 - sidecar.intensity.offset) / sidecar.intensity.scale) < 1e-9)
        #expect(try project.context(label: "liver").window == LabelWindow(preset: .softTissue))
        #expect(try project.context(label: "spleen").window == nil, "a window belongs to one label")

        let custom = try fixture.request("PUT", "/api/projects/ct/labels/liver/window", json: #"{"preset": "custom", "center": -50, "width": 300}"#)
        let customWindow = try LabelWindow(center: -50, width: 300)
        #expect(custom.status == 200)
        #expect(try project.context(label: "liver").window == customWindow)
        for (body, status) in [(#"{"preset": "custom", "center": 1, "width": 0}"#, 422), (#"{"preset": "custom"}"#, 400),
                               (#"{"preset": "sunset"}"#, 400), (#"{"preset": 3}"#, 400)] {
            let response = try fixture.request("PUT", "/api/projects/ct/labels/liver/window", json: body)
            #expect(response.status == status, "\(body): \(response.text)")
        }
        #expect(try fixture.request("PUT", "/api/projects/ct/labels/liver/window", json: #"{"preset": "none"}"#).status == 200)
        #expect(try project.context(label: "liver").window == nil)
        let presets = try fixture.request("GET", "/api/projects/ct/labels/liver/window").json()["presets"] as? [[String: Any]]
        #expect(presets?.map { $0["preset"] as? String } == ["soft-tissue", "lung", "bone", "brain", "percentiles", "custom"])

        // next in volume order, after each accept.
        let mask = BinaryMask(width: 12, height: 10, pixels: (0..<120).map { $0 % 12 < 6 })
        _ = try project.accept(label: "liver", image: "abdomen_axial_000", mask: mask, annotator: "", interactions: 0)
        let next = try fixture.request("GET", "/api/projects/ct/labels/liver/next?order=volume&after=abdomen_axial_000").json()
        #expect(next["id"] as? String == "abdomen_axial_002")
    }

    @Test func volumeOrderVisitsCoarseSlicesFirst() {
        func sidecar(_ id: String, _ count: Int) -> VolumeSidecar {
            VolumeSidecar(source: id, format: "NIfTI-1", dims: [2, 2, count], spacing: [1, 1, 1], affine: [], affineSource: "sform",
                          qformCode: 0, sformCode: 1, qform: nil, sform: nil, xyzUnits: 2, orientation: "RAS", plane: "axial",
                          sliceAxis: 2, columnAxis: 0, rowAxis: 1, columnsReversed: false, rowsReversed: false, datatype: "int16",
                          intensity: IntensityMapping(scale: 1, offset: 0, lossless: true), modality: nil, note: nil,
                          slices: (0..<count).map { VolumeSlice(index: $0, image: "\(id)\($0)") })
        }
        var b = sidecar("b", 16)
        b.id = "b"
        var a = sidecar("a", 3)
        a.id = "a"
        let order = App.volumeOrder(VolumeIndex(volumes: [b, a]), images: ["a0", "a1", "a2", "photo"] + (0..<16).map { "b\($0)" })
        #expect(order == ["a0", "a1", "a2", "b0", "b2", "b4", "b6", "b8", "b10", "b12", "b14",
                          "b1", "b3", "b5", "b7", "b9", "b11", "b13", "b15", "photo"])
    }

    @Test func whatIsNoThreeDimensionalVolumeIsRefusedAndLeavesNothing() throws {
        let fixture = try fixture()
        var notZip = Array("PK\u{3}\u{4} not really".utf8)
        notZip += [UInt8](repeating: 0, count: 64)
        var writer = ZipWriter()
        try writer.add(name: "readme.txt", bytes: Array("hello".utf8))
        let zipWithoutDICOM = writer.finish()
        let cases: [(String, [UInt8], Int, String)] = [
            ("scan.png", [1, 2, 3], 415, "not a volume"),
            ("scan.nii", Array("this is no NIfTI header".utf8) + [UInt8](repeating: 0, count: 400), 422, "NIfTI"),
            ("scan.nii.gz", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3], 422, "NIfTI"),
            ("cine.nii", SyntheticNIfTI.int16(dims: [4, 4, 3, 5]) { i, _, _ in Int16(i) }, 422, "4D"),
            ("series.zip", notZip, 422, "zip"),
            ("series.zip", zipWithoutDICOM, 422, "no DICOM"),
            ("ct.nii&slices=every:0", Self.ctBytes(), 400, "every:K"),
        ]
        for (name, body, status, words) in cases {
            let response = try fixture.request("POST", "/api/projects/ct/volumes?name=\(name)", body: body)
            #expect(response.status == status && response.text.contains(words), "\(name): \(response.status) \(response.text)")
            #expect(!response.text.contains(fixture.app.library.root), "no absolute path in \(response.text)")
        }
        // More entries than any series needs: refused before any is inflated.
        var many = ZipWriter()
        for n in 0...App.maxZipEntries { try many.add(name: "f\(n)", bytes: []) }
        let crowded = try fixture.request("POST", "/api/projects/ct/volumes?name=many.zip", body: many.finish())
        #expect(crowded.status == 413 && crowded.text.contains("5001 entries"), "\(crowded.text)")
        #expect(try fixture.request("POST", "/api/projects/ct/volumes?name=ct.nii&plane=oblique", body: Self.ctBytes()).status == 400)
        #expect(try fixture.request("POST", "/api/projects/ct/volumes?name=ct.nii&slices=3-9", body: Self.ctBytes()).status == 400)
        #expect(try fixture.request("POST", "/api/projects/ct/volumes", body: Self.ctBytes()).status == 400)
        let project = try fixture.app.library.project("ct")
        #expect(project.imageIDs().isEmpty && project.volumeIDs().isEmpty)
        #expect(leftovers(fixture).isEmpty)
    }

    @Test func aZipOfDICOMFilesImportsOneVolumePerSeries() throws {
        let fixture = try fixture()
        let series = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../VolumesTests/Fixtures/dicom_series").standardized.path
        var writer = ZipWriter()
        try writer.add(name: "series/", bytes: [])
        for name in try FileManager.default.contentsOfDirectory(atPath: series).sorted() {
            try writer.add(name: "series/../../" + name, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: series + "/" + name))))
        }
        try writer.add(name: "__MACOSX/._x", bytes: [0, 1])
        let response = try fixture.request("POST", "/api/projects/ct/volumes?name=thorax.zip&plane=axial", body: writer.finish())
        #expect(response.status == 201, "\(response.text)")
        let volumes = try #require(try response.json()["volumes"] as? [[String: Any]])
        // The fixture folder holds a CT series of 6 files and an MR series.
        #expect(volumes.map { $0["id"] as? String } == ["thorax-series1", "thorax-series2"])
        #expect(volumes.map { $0["modality"] as? String } == ["CT", "MR"] && volumes[0]["format"] as? String == "DICOM")
        #expect(volumes[0]["slices"] as? Int == 6)
        #expect(leftovers(fixture).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.app.library.root + "/x"), "entry names never reach the file system")
    }

    @Test func labelVolumesDownloadPerLabelAndAllInOne() throws {
        let fixture = try fixture()
        #expect(try fixture.request("POST", "/api/projects/ct/volumes?name=abdomen.nii.gz", body: Self.ctBytes()).status == 201)
        let project = try fixture.app.library.project("ct")
        #expect(try fixture.request("GET", "/api/projects/ct/volumes/abdomen/labels/liver.nii.gz").status == 404)
        let sidecar = try project.volume("abdomen")
        let left = BinaryMask(width: 12, height: 10, pixels: (0..<120).map { $0 % 12 < 6 })
        let top = BinaryMask(width: 12, height: 10, pixels: (0..<120).map { $0 < 36 })
        _ = try project.accept(label: "liver", image: sidecar.slices[1].image, mask: left, annotator: "", interactions: 0)
        _ = try project.accept(label: "spleen", image: sidecar.slices[1].image, mask: top, annotator: "", interactions: 0)
        _ = try project.accept(label: "spleen", image: sidecar.slices[4].image, mask: top, annotator: "", interactions: 0)

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func download(_ file: String) throws -> Volume {
            let response = try fixture.request("GET", "/api/projects/ct/volumes/abdomen/labels/\(file)")
            #expect(response.status == 200, "\(response.text)")
            #expect(response.headers["content-disposition"]?.contains(".nii.gz") == true || response.headers["Content-Disposition"]?.contains(".nii.gz") == true)
            let path = directory.file(file)
            try Data(response.body).write(to: URL(fileURLWithPath: path))
            return try NIfTI.read(path)
        }
        let liver = try download("liver.nii.gz")
        let expected = try VolumeExport.labelVoxels(project, volume: "abdomen", label: "liver").voxels
        #expect(liver.dims == [12, 10, 6] && liver.voxels == expected.map(Float.init) && liver.affine == sidecar.affine)
        let all = try download("all.nii.gz")
        let spleen = try VolumeExport.labelVoxels(project, volume: "abdomen", label: "spleen").voxels
        #expect(all.voxels == zip(expected, spleen).map { Float($1 != 0 ? 2 : $0 != 0 ? 1 : 0) })
        #expect(Set(all.voxels) == [0, 1, 2])
        #expect(try fixture.request("GET", "/api/projects/ct/volumes/abdomen/labels/kidney.nii.gz").status == 404)
        #expect(try fixture.request("GET", "/api/projects/ct/volumes/nope/labels/liver.nii.gz").status == 404)
        #expect(try fixture.request("GET", "/api/projects/ct/volumes/abdomen/labels/liver.png").status == 404)
        #expect(leftovers(fixture).isEmpty)
    }
}

/// The project page lists a project's volumes with their NIfTI downloads.
@Suite struct VolumePageTests {
    @Test func projectPageOffersEachVolumesLabelFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let library = try ProjectLibrary(root: directory.path)
        let project = try library.createProject(name: "CT", labels: ["liver", "spleen"])
        let app = try App(configuration: .init(projectsRoot: directory.path, publicRoot: directory.path, templatesRoot: PageTests.templates))
        let server = try HTTPServer(configuration: .init(port: 0), router: app.router())
        defer { server.stop() }
        let before = try HTTPTestClient.request(port: server.port, target: "/projects/\(project.id)").text
        #expect(before.contains("<section id=\"volumes\" hidden>"), "no volumes: the section is hidden")

        let file = directory.file("abdomen.nii")
        try Data(VolumeRoutesTests.ctBytes()).write(to: URL(fileURLWithPath: file))
        let sidecar = try VolumeImport.importNIfTI(file, into: project)
        let mask = BinaryMask(width: 12, height: 10, pixels: (0..<120).map { $0 % 12 < 6 })
        _ = try project.accept(label: "spleen", image: sidecar.slices[2].image, mask: mask, annotator: "", interactions: 0)
        let page = try HTTPTestClient.request(port: server.port, target: "/projects/\(project.id)").text
        #expect(page.contains("<section id=\"volumes\">"))
        #expect(page.contains("href=\"/api/projects/\(project.id)/volumes/abdomen/labels/liver.nii.gz\" download=\"abdomen_liver.nii.gz\" data-labeled=\"0\""))
        #expect(page.contains("href=\"/api/projects/\(project.id)/volumes/abdomen/labels/spleen.nii.gz\" download=\"abdomen_spleen.nii.gz\" data-labeled=\"1\""))
        #expect(page.contains("href=\"/api/projects/\(project.id)/volumes/abdomen/labels/all.nii.gz\" download=\"abdomen_labels.nii.gz\""))
        #expect(page.contains("abdomen.nii · "), "\(page)")
    }
}
