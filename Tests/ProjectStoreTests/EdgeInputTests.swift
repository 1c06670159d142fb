import Foundation
import Imaging
import PNGCodec
import ProjectStore
import TestSupport
import Testing

/// Project folders as people leave them: foreign files, missing files, broken manifests.
@Suite struct StoreEdgeInputTests {
    static func grey(_ width: Int, _ height: Int, seed: UInt32 = 1) throws -> [UInt8] {
        var state = seed
        let samples = (0..<(width * height)).map { _ -> UInt16 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt16(state >> 24)
        }
        return try PNGImage.encode(samples: samples, width: width, height: height, colorType: .grey, bitDepth: 8)
    }

    /// `png` with a chunk of `type` holding `size` bytes inserted right after IHDR.
    static func withChunk(_ png: [UInt8], type: String, size: Int) -> [UInt8] {
        let body = Array(type.utf8) + [UInt8](repeating: 0x41, count: size)
        var chunk: [UInt8] = [0, 0, 0, 0]
        PNGChunks.writeUInt32(&chunk, 0, UInt32(size))
        chunk += body
        var crc: [UInt8] = [0, 0, 0, 0]
        PNGChunks.writeUInt32(&crc, 0, PNGChunks.crc32(body))
        let afterHeader = 8 + 12 + 13
        return Array(png[..<afterHeader]) + chunk + crc + Array(png[afterHeader...])
    }

    @Test func headersComeFromTheFileStartEvenBehindLargeMetadata() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try ProjectLibrary(root: directory.path).createProject(name: "P", labels: ["l"])
        let plain = try Self.grey(300, 200)
        // A 1 MB text chunk before the pixels: the header read must go on past its first prefix.
        let padded = Self.withChunk(plain, type: "tEXt", size: 1 << 20)
        #expect(try PNGImage(decoding: padded).width == 300)
        try project.importImage(name: "plain.png", png: plain)
        try project.importImage(name: "padded.png", png: padded)
        for id in ["plain", "padded"] {
            let header = try project.imageHeader(id)
            #expect(header.width == 300 && header.height == 200 && header.bitDepth == 8, "\(id)")
        }
        let png = try Self.grey(3, 3)
        let broken: [(String, [UInt8], String)] = [
            ("empty", [], "truncated"),
            ("garbage", Array("just some text, no signature".utf8), "not a PNG"),
            ("signature", Array(png.prefix(8)), "truncated"),
            ("half-header", Array(png.prefix(20)), "truncated"),
            ("bad-crc", { var b = png; b[20] ^= 0xFF; return b }(), "checksum"),
        ]
        for (id, bytes, message) in broken {
            _ = FileManager.default.createFile(atPath: project.folder + "/images/\(id).png", contents: Data(bytes))
            #expect {
                try project.imageHeader(id)
            } throws: { error in
                guard case ProjectStoreError.invalidImage(let name, let reason) = error else { return false }
                return name == id && reason.contains(message)
            }
        }
    }

    @Test func imageListingIgnoresForeignFilesAndFolders() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try ProjectLibrary(root: directory.path).createProject(name: "P", labels: ["l"])
        try project.importImage(name: "scan.png", png: try Self.grey(4, 4))
        let fm = FileManager.default
        for name in [".DS_Store", "Thumbs.db", "README.txt", "scan.PNG.bak", "bad name!.png", "._scan.png"] {
            _ = fm.createFile(atPath: project.folder + "/images/" + name, contents: Data("junk".utf8))
        }
        try fm.createDirectory(atPath: project.folder + "/images/folder.png", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: project.folder + "/images/nested", withIntermediateDirectories: true)
        #expect(project.imageIDs() == ["scan"])
        #expect(throws: ProjectStoreError.self) { try project.imageHeader("folder") }
    }

    @Test func scanListsGoodProjectsAndReportsBrokenOnesWithoutPaths() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let library = try ProjectLibrary(root: directory.path)
        try library.createProject(name: "Good", labels: ["l"])
        let fm = FileManager.default
        let manifests = [("truncated", #"{"schema": 1, "name": "T", "lab"#), ("future", #"{"schema": 2, "name": "F", "labels": []}"#),
                         ("not-json", "\u{0}\u{1}binary"), ("empty", "")]
        for (id, text) in manifests {
            try fm.createDirectory(atPath: directory.file(id), withIntermediateDirectories: true)
            _ = fm.createFile(atPath: directory.file(id) + "/project.json", contents: Data(text.utf8))
        }
        try fm.createDirectory(atPath: directory.file("no-manifest/images"), withIntermediateDirectories: true)
        try fm.createDirectory(atPath: directory.file("manifest-is-a-folder/project.json"), withIntermediateDirectories: true)
        for junk in [".DS_Store", "Thumbs.db", "README.txt"] { _ = fm.createFile(atPath: directory.file(junk), contents: Data()) }
        let scan = library.scan()
        #expect(scan.projects.map(\.id) == ["good"])
        #expect(scan.problems.count == 5, "\(scan.problems)")
        #expect(scan.problems.contains(.unsupportedSchema(project: "future", schema: 2)))
        for problem in scan.problems { #expect(!problem.description.contains(directory.path)) }
        #expect(throws: ProjectStoreError.unknownProject("no-manifest")) { try library.project("no-manifest") }
        #expect(throws: ProjectStoreError.self) { try library.project("truncated") }
    }

    @Test func contextEntriesWhoseFilesWentMissingStayReadable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try ProjectLibrary(root: directory.path).createProject(name: "P", labels: ["l"])
        for name in ["a.png", "b.png"] { try project.importImage(name: name, png: try Self.grey(6, 5)) }
        let full = BinaryMask(width: 6, height: 5, pixels: [Bool](repeating: true, count: 30))
        let empty = BinaryMask(width: 6, height: 5, pixels: [Bool](repeating: false, count: 30))
        try project.accept(label: "l", image: "a", mask: full, annotator: "", interactions: 0)
        try project.accept(label: "l", image: "b", mask: empty, annotator: "", interactions: 0)
        #expect(try project.mask(label: "l", image: "a") == full)
        #expect(try project.mask(label: "l", image: "b") == empty)
        #expect(throws: ProjectStoreError.maskSizeMismatch(image: "a", expected: "6 x 5", actual: "5 x 6")) {
            try project.accept(label: "l", image: "a", mask: BinaryMask(width: 5, height: 6, pixels: [Bool](repeating: true, count: 30)),
                               annotator: "", interactions: 0)
        }
        #expect(throws: ProjectStoreError.unknownImage("gone")) {
            try project.accept(label: "l", image: "gone", mask: full, annotator: "", interactions: 0)
        }
        // b's image is deleted by hand, a mask without any image appears.
        try FileManager.default.removeItem(atPath: project.folder + "/images/b.png")
        _ = FileManager.default.createFile(atPath: project.folder + "/masks/l/ghost.png", contents: Data(try full.pngData()))
        #expect(try project.context(label: "l").entries.map(\.id) == ["a", "b"])
        #expect(throws: ProjectStoreError.unknownImage("b")) { try project.mask(label: "l", image: "b") }
        #expect(try project.acceptedMasks(label: "l").map(\.image) == ["a"])
        try project.removeFromContext(label: "l", image: "b")
        #expect(try project.context(label: "l").entries.map(\.id) == ["a"])

        // A context manifest from a newer app is refused by name, not misread.
        let path = project.folder + "/context/l.json"
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"schema\" : 1", with: "\"schema\" : 7")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ProjectStoreError.unsupportedSchema(project: project.id, schema: 7)) { try project.context(label: "l") }
    }

    /// App.detail() asks every image for its header on each request. Before, each asked read the
    /// whole file; now only its first kilobytes.
    @Test func readingHeadersOf500ImagesReadsOnlyTheirStart() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try ProjectLibrary(root: directory.path).createProject(name: "P", labels: ["l"])
        let png = try Self.grey(384, 384)
        for n in 0..<500 {
            _ = FileManager.default.createFile(atPath: project.folder + String(format: "/images/img-%03d.png", n), contents: Data(png))
        }
        let ids = project.imageIDs()
        #expect(ids.count == 500)
        let clock = ContinuousClock()
        var whole: [PNGHeader] = []
        let before = clock.measure {
            whole = ids.compactMap { id in
                (try? FileSystem.read(project.folder + "/images/\(id).png")).flatMap { try? PNGImage.header(of: $0) }
            }
        }
        var headers: [PNGHeader] = []
        let after = try clock.measure { headers = try ids.map { try project.imageHeader($0) } }
        #expect(headers == whole && headers.count == 500)
        print("headers of 500 images of \(png.count >> 10) KiB: whole-file read \(before), header-only \(after)")
    }
}
