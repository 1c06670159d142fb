import Foundation
import Imaging
import PNGCodec
import ProjectStore
import TestSupport
import Testing

/// A library with one project "cells" (label "nucleus") holding three 4x3 grey images.
final class StoreFixture {
    let directory: TemporaryDirectory
    let library: ProjectLibrary
    let project: Project

    init() throws {
        directory = try TemporaryDirectory()
        library = try ProjectLibrary(root: directory.path)
        project = try library.createProject(name: "Cells", labels: ["nucleus"])
        for name in ["b.png", "a.png", "c.png"] {
            let png = try PNGImage.encode(samples: (0..<12).map { UInt16($0 * 20) }, width: 4, height: 3,
                                          colorType: .grey, bitDepth: 8)
            try project.importImage(name: name, png: png)
        }
    }

    func mask(_ bits: [Int]) -> BinaryMask { BinaryMask(width: 4, height: 3, pixels: bits.map { $0 != 0 }) }

    deinit { directory.remove() }
}

@Suite struct ProjectTests {
    @Test func createsProjectsWithUniqueSafeIds() throws {
        let fixture = try StoreFixture()
        #expect(fixture.project.id == "cells")
        let second = try fixture.library.createProject(name: "Cells", labels: [])
        #expect(second.id == "cells-2")
        let odd = try fixture.library.createProject(name: "../../etc/Lung CT (2024)", labels: ["lung"])
        #expect(odd.id == "etc_lung_ct_2024")
        #expect(throws: ProjectStoreError.self) { try fixture.library.createProject(name: "  ", labels: []) }
        #expect(throws: ProjectStoreError.invalidIdentifier(kind: "label", value: "../x")) {
            try fixture.library.createProject(name: "x", labels: ["../x"])
        }
        #expect(fixture.library.projects().map(\.id) == ["cells", "cells-2", "etc_lung_ct_2024"])
    }

    @Test func importsImagesUnderSafeUniqueIds() throws {
        let fixture = try StoreFixture()
        #expect(fixture.project.imageIDs() == ["a", "b", "c"])
        let png = try fixture.project.imagePNG("a")
        #expect(try fixture.project.importImage(name: "a.png", png: png) == "a-2")
        #expect(try fixture.project.importImage(name: "My Scan #1.PNG", png: png) == "My_Scan_1")
        #expect(throws: ProjectStoreError.self) { try fixture.project.importImage(name: "bad.png", png: [1, 2, 3]) }
        #expect(throws: ProjectStoreError.unknownImage("zzz")) { try fixture.project.imagePNG("zzz") }
        #expect(throws: ProjectStoreError.invalidIdentifier(kind: "image id", value: "../a")) {
            try fixture.project.imagePNG("../a")
        }
    }

    @Test func acceptSavesMaskAndBuildsTheOrderedContext() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        let first = fixture.mask([1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        try project.accept(label: "nucleus", image: "c", mask: first, annotator: "ana", interactions: 5)
        try project.accept(label: "nucleus", image: "a", mask: first, annotator: "ben", interactions: 2)
        #expect(try project.mask(label: "nucleus", image: "c") == first)
        #expect(try project.mask(label: "nucleus", image: "b") == nil)
        let context = try project.context(label: "nucleus")
        #expect(context.entries.map(\.id) == ["c", "a"])
        #expect(context.entries.map(\.interactions) == [5, 2])
        #expect(context.entries[1].annotator == "ben" && context.entries[1].version == 1)
        // What is on disk is an 8-bit 0/255 PNG at the image's size.
        let stored = try PNGImage(decoding: try #require(try project.maskPNG(label: "nucleus", image: "c")))
        #expect(stored.width == 4 && stored.height == 3 && stored.bitDepth == 8 && stored.channels == 1)
        #expect(Set(stored.samples) == [0, 255])
        // No temporary files are left behind by the atomic writes.
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: project.folder).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func acceptingAgainKeepsEveryEarlierVersion() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        let v1 = fixture.mask([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        let v2 = fixture.mask([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        let v3 = fixture.mask([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        for mask in [v1, v2, v3] {
            try project.accept(label: "nucleus", image: "b", mask: mask, annotator: "ana", interactions: 1)
        }
        #expect(try project.mask(label: "nucleus", image: "b") == v3)
        #expect(try project.context(label: "nucleus").entry("b")?.version == 3)
        #expect(try project.historyVersions(label: "nucleus", image: "b") == [1, 2])
        let kept = try BinaryMask(png: FileSystem.read(project.folder + "/history/nucleus/b/1.png"))
        #expect(kept == v1)
        #expect(try project.context(label: "nucleus").entries.count == 1)
    }

    @Test func refusesMasksOfAnotherSizeAndUnknownLabels() throws {
        let fixture = try StoreFixture()
        let wrong = BinaryMask(width: 3, height: 3, pixels: Array(repeating: true, count: 9))
        #expect(throws: ProjectStoreError.maskSizeMismatch(image: "a", expected: "4 x 3", actual: "3 x 3")) {
            try fixture.project.accept(label: "nucleus", image: "a", mask: wrong, annotator: "", interactions: 0)
        }
        #expect(throws: ProjectStoreError.unknownLabel("cell")) {
            try fixture.project.accept(label: "cell", image: "a", mask: fixture.mask(Array(repeating: 0, count: 12)),
                                       annotator: "", interactions: 0)
        }
        #expect(try fixture.project.context(label: "nucleus").entries.isEmpty)
    }

    @Test func includeExcludeAndRemoveContextEntries() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        let mask = fixture.mask([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        for image in ["a", "b"] {
            try project.accept(label: "nucleus", image: image, mask: mask, annotator: "ana", interactions: 1)
        }
        try project.setIncluded(label: "nucleus", image: "a", included: false)
        #expect(try project.context(label: "nucleus").includedEntries.map(\.id) == ["b"])
        try project.removeFromContext(label: "nucleus", image: "b")
        #expect(try project.context(label: "nucleus").entries.map(\.id) == ["a"])
        // The mask stays on disk (and in exports) after leaving the context.
        #expect(try project.mask(label: "nucleus", image: "b") == mask)
        #expect(throws: ProjectStoreError.notInContext(image: "c", label: "nucleus")) {
            try project.removeFromContext(label: "nucleus", image: "c")
        }
    }

    @Test func manifestRoundTripAndLabels() throws {
        let fixture = try StoreFixture()
        try fixture.project.addLabel("membrane")
        #expect(try fixture.project.labels() == ["nucleus", "membrane"])
        #expect(throws: ProjectStoreError.duplicateLabel("membrane")) { try fixture.project.addLabel("membrane") }
        let reopened = try fixture.library.project("cells")
        #expect(try reopened.manifest().name == "Cells")
        #expect(try reopened.manifest().schema == ProjectManifest.currentSchema)
        let manifest = ContextManifest(label: "x", entries: [
            ContextEntry(id: "a", version: 2, annotator: "ana", acceptedAt: "2026-01-01T00:00:00Z",
                         interactions: 3, included: false),
        ])
        let decoded = try JSONDecoder().decode(ContextManifest.self, from: JSONEncoder().encode(manifest))
        #expect(decoded == manifest)
    }

    @Test func corruptContextManifestIsAClearError() throws {
        let fixture = try StoreFixture()
        try FileSystem.writeAtomically(Array("{ torn".utf8), to: fixture.project.folder + "/context/nucleus.json")
        #expect {
            try fixture.project.context(label: "nucleus")
        } throws: { error in
            guard case ProjectStoreError.unreadableManifest = error else { return false }
            return !"\(error)".contains(fixture.directory.path)
        }
    }

    @Test func exportsMasksAsAFolderAndAZip() throws {
        let fixture = try StoreFixture()
        let mask = fixture.mask([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
        try fixture.project.accept(label: "nucleus", image: "c", mask: mask, annotator: "ana", interactions: 1)
        try fixture.project.accept(label: "nucleus", image: "a", mask: mask, annotator: "ana", interactions: 1)
        let out = fixture.directory.file("export")
        #expect(try fixture.project.exportMasks(label: "nucleus", to: out) == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["a.png", "c.png"])
        #expect(try BinaryMask(png: FileSystem.read(out + "/c.png")) == mask)

        let zip = try fixture.project.exportZip(label: "nucleus")
        let zipPath = fixture.directory.file("masks.zip")
        try FileSystem.writeAtomically(zip, to: zipPath)
        // Python's zipfile is an independent reader: it checks the structure and every CRC.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(','.join(sorted(z.namelist())))", zipPath]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "a.png,c.png\n")
    }

    @Test func concurrentWritersLoseNothing() throws {
        let fixture = try StoreFixture()
        // Two "apps" (separate Project objects on one folder) accept different images at once,
        // many times over: every entry must end up in the manifest, with the right version count.
        let apps = [try fixture.library.project("cells"), try fixture.library.project("cells")]
        let images = ["a", "b", "c"]
        let rounds = 8
        let masks = (0..<rounds).map { round in
            BinaryMask(width: 4, height: 3, pixels: (0..<12).map { $0 == round % 12 })
        }
        DispatchQueue.concurrentPerform(iterations: apps.count * images.count) { job in
            let app = apps[job % apps.count]
            let image = images[job % images.count]
            for round in 0..<rounds {
                _ = try? app.accept(label: "nucleus", image: image, mask: masks[round],
                                    annotator: "app\(job % apps.count)", interactions: round)
            }
        }
        let context = try fixture.project.context(label: "nucleus")
        #expect(Set(context.entries.map(\.id)) == Set(images))
        // Each image was accepted 2 x rounds times in total (6 jobs over 3 images).
        let acceptsPerImage = apps.count * images.count / images.count * rounds
        for entry in context.entries {
            #expect(entry.version == acceptsPerImage)
            #expect(try fixture.project.historyVersions(label: "nucleus", image: entry.id).count == acceptsPerImage - 1)
        }
    }
}

@Suite struct IdentifierTests {
    @Test func validity() {
        for good in ["a", "000_HC", "scan-1.2", String(repeating: "x", count: 128)] { #expect(Identifier.isValid(good)) }
        for bad in ["", ".", "..", ".hidden", "a/b", "a\\b", "-x", "é", String(repeating: "x", count: 129), "a\0b"] {
            #expect(!Identifier.isValid(bad), "\(bad)")
        }
    }

    @Test func sanitizing() {
        #expect(Identifier.sanitize("Scan 01 (left).png") == "Scan_01_left")
        #expect(Identifier.sanitize("../../etc/passwd") == "passwd")
        #expect(Identifier.sanitize("C:\\scans\\x.tiff") == "x")
        #expect(Identifier.sanitize("v1.5mm.PNG") == "v1.5mm")
        #expect(Identifier.sanitize("...") == nil)
        #expect(Identifier.sanitize("ünïcode.png") == "n_code")
    }
}
