import Foundation
import Imaging
import PNGCodec
import ProjectStore
import TestSupport
import Testing

/// Regression tests for what Tests/Hardening/crash_test.py found: the states a SIGKILL can leave
/// behind in the middle of an accept, a removal or an export, built by hand here.
@Suite struct CrashRecoveryTests {
    let v1: BinaryMask
    let v2: BinaryMask
    let v3: BinaryMask

    init() {
        v1 = BinaryMask(width: 4, height: 3, pixels: (0..<12).map { $0 == 0 })
        v2 = BinaryMask(width: 4, height: 3, pixels: (0..<12).map { $0 < 2 })
        v3 = BinaryMask(width: 4, height: 3, pixels: (0..<12).map { $0 < 3 })
    }

    /// Before: removing an entry and accepting again restarted at version 1 and overwrote
    /// history/…/0.png and 1.png, losing acknowledged masks.
    @Test func removingAndAcceptingAgainContinuesTheVersions() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        try project.accept(label: "nucleus", image: "a", mask: v1, annotator: "ana", interactions: 1)
        try project.accept(label: "nucleus", image: "a", mask: v2, annotator: "ana", interactions: 1)
        try project.removeFromContext(label: "nucleus", image: "a")
        #expect(try project.mask(label: "nucleus", image: "a") == v2, "a removed entry keeps its mask")
        #expect(try project.historyVersions(label: "nucleus", image: "a") == [1, 2])
        let entry = try project.accept(label: "nucleus", image: "a", mask: v3, annotator: "ben", interactions: 1)
        #expect(entry.version == 3)
        #expect(try project.historyVersions(label: "nucleus", image: "a") == [1, 2])
        #expect(try BinaryMask(png: FileSystem.read(project.folder + "/history/nucleus/a/1.png")) == v1)
        #expect(try BinaryMask(png: FileSystem.read(project.folder + "/history/nucleus/a/2.png")) == v2)
        #expect(try project.mask(label: "nucleus", image: "a") == v3)
    }

    /// Before: the mask was written before the manifest, so a kill in between left a new mask under
    /// the old entry's version (and the next accept filed it in history under the wrong number).
    @Test func anAcceptKilledBeforeItsCommitLeavesTheOldState() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        try project.accept(label: "nucleus", image: "a", mask: v1, annotator: "ana", interactions: 1)
        // What a kill after staging but before the manifest write leaves.
        try FileSystem.writeAtomically(try v2.pngData(), to: project.folder + "/.pending/nucleus/a@2.png")
        let reopened = try fixture.library.project("cells")
        #expect(try reopened.mask(label: "nucleus", image: "a") == v1)
        #expect(try reopened.context(label: "nucleus").entry("a")?.version == 1)
        #expect(!FileSystem.exists(project.folder + "/.pending"))
        let next = try reopened.accept(label: "nucleus", image: "a", mask: v3, annotator: "ana", interactions: 1)
        #expect(next.version == 2)
        #expect(try BinaryMask(png: FileSystem.read(project.folder + "/history/nucleus/a/1.png")) == v1)
    }

    @Test func anAcceptKilledAfterItsCommitIsFinishedOnTheNextOpen() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        try project.accept(label: "nucleus", image: "a", mask: v1, annotator: "ana", interactions: 1)
        try project.accept(label: "nucleus", image: "a", mask: v2, annotator: "ana", interactions: 1)
        // What a kill after the manifest write but before the rename leaves: the manifest says 2,
        // the mask file is still version 1, version 2 is staged.
        try FileSystem.writeAtomically(try v2.pngData(), to: project.folder + "/.pending/nucleus/a@2.png")
        try FileSystem.writeAtomically(try v1.pngData(), to: project.maskPath(label: "nucleus", image: "a"))
        let library = fixture.library
        let report = Project.Recovery(rolledForward: 1, discarded: 0, temporaryFilesRemoved: 0)
        #expect(library.recover().settled.map(\.report) == [report])
        #expect(try library.project("cells").mask(label: "nucleus", image: "a") == v2)
        #expect(try library.project("cells").historyVersions(label: "nucleus", image: "a") == [1])
    }

    @Test func openingSettlesAStagedAcceptBeforeAnyRead() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        try project.accept(label: "nucleus", image: "b", mask: v1, annotator: "ana", interactions: 1)
        try project.accept(label: "nucleus", image: "b", mask: v2, annotator: "ana", interactions: 1)
        try FileSystem.writeAtomically(try v2.pngData(), to: project.folder + "/.pending/nucleus/b@2.png")
        try FileSystem.writeAtomically(try v1.pngData(), to: project.maskPath(label: "nucleus", image: "b"))
        #expect(try fixture.library.project("cells").mask(label: "nucleus", image: "b") == v2)
    }

    @Test func aStagedMaskOfAnUnreadableLabelWaitsAndOtherLabelsGoOn() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        try project.addLabel("cyto")
        try FileSystem.writeAtomically(Array("{ torn".utf8), to: project.folder + "/context/cyto.json")
        let staged = project.folder + "/.pending/cyto/a@1.png"
        try FileSystem.writeAtomically(try v1.pngData(), to: staged)
        let entry = try fixture.library.project("cells").accept(
            label: "nucleus", image: "a", mask: v2, annotator: "ana", interactions: 1)
        #expect(entry.version == 1)
        #expect(FileSystem.exists(staged), "whether cyto's accept committed is unknown until its manifest is fixed")
    }

    @Test func recoveringACleanProjectWritesNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let library = try ProjectLibrary(root: directory.path)
        let project = try library.createProject(name: "Clean", labels: ["x"])
        unlink(project.folder + "/.multiverseg.lock")
        #expect(library.recover().settled.isEmpty)
        #expect(!FileSystem.exists(project.folder + "/.multiverseg.lock"), "a read-only start must not create files")
    }

    /// Temporary files of interrupted writes are never taken for data, and recovery removes them.
    @Test func temporaryFilesAreIgnoredAndCleanedUp() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        try project.accept(label: "nucleus", image: "a", mask: v1, annotator: "ana", interactions: 1)
        let strays = [
            "/images/.c.png.123.456.tmp", "/masks/nucleus/.a.png.123.456.tmp",
            "/history/nucleus/a/.1.png.1.2.tmp", "/context/.nucleus.json.1.2.tmp",
        ]
        for stray in strays { try FileSystem.writeAtomically([1, 2], to: project.folder + stray) }
        #expect(project.imageIDs() == ["a", "b", "c"])
        #expect(try project.historyVersions(label: "nucleus", image: "a") == [])
        #expect(try project.acceptedMasks(label: "nucleus").map(\.image) == ["a"])
        #expect(try project.recover().temporaryFilesRemoved == strays.count)
        for stray in strays { #expect(!FileSystem.exists(project.folder + stray)) }
    }

    /// Before: a folder export wrote file after file into the destination, so a killed export left
    /// a partial set that looked complete.
    @Test func aFailedFolderWriteLeavesNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let destination = directory.file("masks")
        let tooLong = String(repeating: "x", count: 300) + ".png"
        #expect(throws: FileSystemError.self) {
            try FileSystem.writeFolderAtomically([("a.png", [1]), (tooLong, [2])], to: destination, allowedExtension: "png")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func aFolderWriteReplacesAnEarlierExportButNothingElse() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let destination = directory.file("masks")
        try FileSystem.writeFolderAtomically([("a.png", [1]), ("b.png", [2])], to: destination, allowedExtension: "png")
        try FileSystem.writeFolderAtomically([("c.png", [3])], to: destination, allowedExtension: "png")
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination) == ["c.png"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["masks"])
        try FileSystem.writeAtomically([9], to: destination + "/notes.txt")
        #expect(throws: FileSystemError.self) {
            try FileSystem.writeFolderAtomically([("d.png", [4])], to: destination, allowedExtension: "png")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination).sorted() == ["c.png", "notes.txt"])
        let empty = directory.file("empty")
        try FileSystem.makeFolder(empty)
        try FileSystem.writeFolderAtomically([("e.png", [5])], to: empty, allowedExtension: "png")
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty) == ["e.png"])
    }
}
