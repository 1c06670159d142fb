import Foundation
import Imaging
import PNGCodec
@testable import ProjectStore
import TestSupport
import Testing
import ZIP

/// Renaming and deleting a label, and crashes in the middle of either (issue 16, "Manage").
@Suite struct LabelManagementTests {
    /// The fixture with a second label and, for "nucleus", a mask accepted twice (history), a
    /// proposal and an excluded entry.
    func labeledFixture() throws -> StoreFixture {
        let fixture = try StoreFixture()
        let project = fixture.project
        try project.addLabel("membrane")
        try project.accept(label: "nucleus", image: "a", mask: fixture.mask([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                           annotator: "ana", interactions: 3)
        try project.accept(label: "nucleus", image: "a", mask: fixture.mask([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                           annotator: "bo", interactions: 1)
        try project.accept(label: "nucleus", image: "b", mask: fixture.mask([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]),
                           annotator: "ana", interactions: 2)
        try project.setIncluded(label: "nucleus", image: "b", included: false)
        try project.saveProposal(label: "nucleus", image: "c", mask: fixture.mask([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
                                 record: ProposalRecord(contextRevision: "0123456789abcdef", uncertainty: 0.1,
                                                        model: "test", contextSize: 1))
        try project.accept(label: "membrane", image: "a", mask: fixture.mask([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
                           annotator: "cy", interactions: 4)
        return fixture
    }

    /// Every file under the project folder but the lock, relative to it, with its bytes.
    func snapshot(_ project: Project) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        let walker = FileManager.default.enumerator(atPath: project.folder)
        while let relative = walker?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: project.folder + "/" + relative, isDirectory: &isDirectory)
            guard !isDirectory.boolValue, relative != ".multiverseg.lock", relative != "project.json" else { continue }
            files[relative] = FileManager.default.contents(atPath: project.folder + "/" + relative).map { [UInt8]($0) }
        }
        return files
    }

    /// What a rename of "nucleus" to "nuclei" should turn `before` into.
    func renamed(_ before: [String: [UInt8]]) -> Set<String> {
        Set(before.keys.map { key in
            for prefix in ["masks/", "history/", "proposals/"] where key.hasPrefix(prefix + "nucleus/") {
                return prefix + "nuclei/" + key.dropFirst((prefix + "nucleus/").count)
            }
            return key == "context/nucleus.json" ? "context/nuclei.json" : key
        })
    }

    @Test func renamingMovesEveryFileOfTheLabelAndKeepsItsPlace() throws {
        let fixture = try labeledFixture()
        let project = fixture.project
        let before = snapshot(project)
        let contextBefore = try project.context(label: "nucleus")
        try project.renameLabel("nucleus", to: "nuclei")
        #expect(try project.labels() == ["nuclei", "membrane"])
        let after = snapshot(project)
        #expect(Set(after.keys) == renamed(before))
        #expect(after["masks/nuclei/a.png"] == before["masks/nucleus/a.png"])
        #expect(after["history/nuclei/a/1.png"] == before["history/nucleus/a/1.png"])
        #expect(after["proposals/nuclei/c.json"] == before["proposals/nucleus/c.json"])
        // The context set is the same, under its new name.
        let context = try project.context(label: "nuclei")
        #expect(context.label == "nuclei" && context.entries == contextBefore.entries)
        #expect(try project.proposalIDs(label: "nuclei") == ["c"])
        #expect(throws: ProjectStoreError.unknownLabel("nucleus")) { try project.context(label: "nucleus") }
        #expect(!FileManager.default.fileExists(atPath: project.folder + "/.label-change.json"))
        // Work goes on under the new name: the next accept continues the version numbers.
        let next = try project.accept(label: "nuclei", image: "a", mask: fixture.mask([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                                      annotator: "ana", interactions: 1)
        #expect(next.version == 3)
        // The other label is untouched.
        #expect(try project.context(label: "membrane").entries.map(\.id) == ["a"])
    }

    @Test func renamingRefusesClashesAndInvalidNames() throws {
        let fixture = try labeledFixture()
        let project = fixture.project
        let before = snapshot(project)
        #expect(throws: ProjectStoreError.duplicateLabel("membrane")) { try project.renameLabel("nucleus", to: "membrane") }
        #expect(throws: ProjectStoreError.invalidIdentifier(kind: "label name", value: "../x")) {
            try project.renameLabel("nucleus", to: "../x")
        }
        #expect(throws: ProjectStoreError.invalidIdentifier(kind: "label name", value: ".hidden")) {
            try project.renameLabel("nucleus", to: ".hidden")
        }
        #expect(throws: ProjectStoreError.unknownLabel("nope")) { try project.renameLabel("nope", to: "other") }
        // Files left under the new name (by hand, or a label deleted by an older app) are never mixed in.
        try FileSystem.makeFolder(project.folder + "/history/nuclei")
        #expect(throws: ProjectStoreError.labelFilesExist(label: "nuclei", item: "history/nuclei")) {
            try project.renameLabel("nucleus", to: "nuclei")
        }
        try FileManager.default.removeItem(atPath: project.folder + "/history/nuclei")
        #expect(snapshot(project) == before)
        #expect(try project.labels() == ["nucleus", "membrane"])
        // The same name is no change at all.
        try project.renameLabel("nucleus", to: "nucleus")
        #expect(snapshot(project) == before)
    }

    @Test func deletingMovesTheLabelsFilesToTheTrash() throws {
        let fixture = try labeledFixture()
        let project = fixture.project
        let before = snapshot(project)
        let trash = try project.deleteLabel("nucleus", at: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(trash == "trash/labels/nucleus-20270115080000")
        #expect(try project.labels() == ["membrane"])
        let after = snapshot(project)
        #expect(after[trash + "/masks/a.png"] == before["masks/nucleus/a.png"])
        #expect(after[trash + "/masks/b.png"] == before["masks/nucleus/b.png"])
        #expect(after[trash + "/context.json"] == before["context/nucleus.json"])
        #expect(after[trash + "/history/a/1.png"] == before["history/nucleus/a/1.png"])
        #expect(after[trash + "/proposals/c.png"] == before["proposals/nucleus/c.png"])
        // Nothing is lost and nothing of the label is left outside the trash.
        #expect(after.count == before.count)
        #expect(after.keys.filter { $0.contains("nucleus") && !$0.hasPrefix(trash) }.isEmpty, "\(after.keys.sorted())")
        // A new label of the same name starts empty; deleting it again keeps both trash folders.
        try project.addLabel("nucleus")
        #expect(try project.context(label: "nucleus").entries.isEmpty)
        #expect(try project.mask(label: "nucleus", image: "a") == nil)
        try project.accept(label: "nucleus", image: "c", mask: fixture.mask([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                           annotator: "ana", interactions: 1)
        let second = try project.deleteLabel("nucleus", at: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(second == "trash/labels/nucleus-20270115080000-2")
        #expect(FileManager.default.fileExists(atPath: project.folder + "/" + second + "/masks/c.png"))
        #expect(throws: ProjectStoreError.unknownLabel("nucleus")) { try project.deleteLabel("nucleus") }
    }

    /// A process killed after each step of a rename: the journal written, then each folder moved,
    /// then `project.json` committed. Whoever opens the project next finishes it, with every file.
    @Test func aRenameCutShortAtAnyStepIsFinishedByTheNextOpen() throws {
        let items = ["masks/%@", "context/%@.json", "history/%@", "proposals/%@"]
        for movedBeforeTheCrash in 0...items.count + 1 {
            let fixture = try labeledFixture()
            let project = fixture.project
            let before = snapshot(project)
            let journal = #"{"schema": 1, "operation": "rename", "label": "nucleus", "to": "nuclei"}"#
            try FileSystem.writeAtomically(Array(journal.utf8), to: project.folder + "/.label-change.json")
            for item in items.prefix(movedBeforeTheCrash) {
                try FileSystem.moveAtomically(project.folder + "/" + String(format: item, "nucleus"),
                                              to: project.folder + "/" + String(format: item, "nuclei"))
            }
            if movedBeforeTheCrash > items.count {
                var manifest = try project.manifest()
                manifest.labels[0] = "nuclei"
                try project.write(json: manifest, to: project.folder + "/project.json")
            }
            let reopened = try fixture.library.project(project.id)
            #expect(try reopened.labels() == ["nuclei", "membrane"], "crash after step \(movedBeforeTheCrash)")
            #expect(Set(snapshot(reopened).keys) == renamed(before), "crash after step \(movedBeforeTheCrash)")
            #expect(try reopened.context(label: "nuclei").label == "nuclei")
            #expect(try reopened.context(label: "nuclei").entries.map(\.id) == ["a", "b"])
        }
    }

    @Test func aDeleteCutShortIsFinishedByTheNextWriterOrByRecover() throws {
        let fixture = try labeledFixture()
        let project = fixture.project
        let before = snapshot(project)
        let trash = "trash/labels/nucleus-20261203000000"
        let journal = #"{"schema": 1, "operation": "delete", "label": "nucleus", "trash": "\#(trash)"}"#
        try FileSystem.writeAtomically(Array(journal.utf8), to: project.folder + "/.label-change.json")
        try FileSystem.moveAtomically(project.folder + "/masks/nucleus", to: project.folder + "/" + trash + "/masks")
        // `recover()` (serve at start) says what it finished.
        let report = try project.recover()
        #expect(report.labelChangesFinished == 1)
        #expect(try project.labels() == ["membrane"])
        let after = snapshot(project)
        #expect(after.count == before.count)
        #expect(after[trash + "/context.json"] == before["context/nucleus.json"])
        #expect(after[trash + "/masks/a.png"] == before["masks/nucleus/a.png"])

        // An app that had the project open before the crash finishes it at its next write.
        let other = try labeledFixture()
        let open = try other.library.project(other.project.id)
        try FileSystem.writeAtomically(Array(journal.utf8), to: other.project.folder + "/.label-change.json")
        try open.accept(label: "membrane", image: "b", mask: other.mask([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                        annotator: "ana", interactions: 1)
        #expect(try open.labels() == ["membrane"])
        #expect(FileManager.default.fileExists(atPath: other.project.folder + "/" + trash + "/history/a/1.png"))
    }

    @Test func aJournalTheAppWouldNotWriteMovesNothing() throws {
        let fixture = try labeledFixture()
        let project = fixture.project
        let before = snapshot(project)
        for journal in [#"{"schema": 1, "operation": "delete", "label": "nucleus", "trash": "../../elsewhere"}"#,
                        #"{"schema": 1, "operation": "rename", "label": "nucleus", "to": "../x"}"#, "not json"] {
            try FileSystem.writeAtomically(Array(journal.utf8), to: project.folder + "/.label-change.json")
            #expect(throws: ProjectStoreError.self) { try project.recover() }
            #expect(throws: ProjectStoreError.self) { try project.renameLabel("membrane", to: "membranes") }
            var files = snapshot(project)
            files[".label-change.json"] = nil
            #expect(files == before)
            #expect(try project.labels() == ["nucleus", "membrane"])
        }
    }

    @Test func aLabelWhoseFilesLeadOutsideIsRefusedBeforeAnythingMoves() throws {
        let fixture = try labeledFixture()
        let project = fixture.project
        let outside = fixture.directory.path + "/elsewhere"
        try FileSystem.makeFolder(outside)
        try FileManager.default.createSymbolicLink(atPath: project.folder + "/proposals/membrane", withDestinationPath: outside)
        let before = snapshot(project)
        #expect(throws: ProjectStoreError.linkLeavesFolder("cells/proposals/membrane")) {
            try project.renameLabel("membrane", to: "membranes")
        }
        #expect(throws: ProjectStoreError.linkLeavesFolder("cells/proposals/membrane")) { try project.deleteLabel("membrane") }
        #expect(snapshot(project) == before)
        #expect(try project.labels() == ["nucleus", "membrane"])
        // Nothing is left half done: other labels change as usual.
        try project.renameLabel("nucleus", to: "nuclei")
        #expect(try project.labels() == ["nuclei", "membrane"])
    }

    /// Two apps on one shared folder: the one that did not rename sees the new state at once and
    /// cannot write under the old name.
    @Test func aCollaboratorsAppSeesTheRenameAndCannotWriteUnderTheOldName() throws {
        let fixture = try labeledFixture()
        let elsewhere = try fixture.library.project(fixture.project.id)
        try fixture.project.renameLabel("nucleus", to: "nuclei")
        #expect(try elsewhere.labels() == ["nuclei", "membrane"])
        #expect(throws: ProjectStoreError.unknownLabel("nucleus")) {
            try elsewhere.accept(label: "nucleus", image: "c", mask: fixture.mask([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                                 annotator: "ana", interactions: 1)
        }
        #expect(throws: ProjectStoreError.unknownLabel("nucleus")) { try elsewhere.renameLabel("nucleus", to: "cells") }
        #expect(try elsewhere.context(label: "nuclei").entries.count == 2)
    }
}

/// All labels in one PNG per image (issue 16, "several labels").
@Suite struct MulticlassExportTests {
    func pixels(_ png: [UInt8]) throws -> [UInt16] { try PNGImage(decoding: png).samples }

    @Test func eachLabelIsItsValueAndTheLaterLabelWinsOverlaps() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        try project.addLabel("membrane")
        try project.accept(label: "nucleus", image: "a", mask: fixture.mask([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                           annotator: "ana", interactions: 3)
        try project.accept(label: "membrane", image: "a", mask: fixture.mask([0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1]),
                           annotator: "bo", interactions: 5)
        try project.accept(label: "membrane", image: "c", mask: fixture.mask([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
                           annotator: "bo", interactions: 2)
        let files = try project.exportMulticlass(at: Date(timeIntervalSince1970: 1_800_000_000))
        // b has no accepted mask: left out. The manifest comes last.
        #expect(files.map(\.name) == ["a.png", "c.png", "manifest.json"])
        let a = try PNGImage(decoding: files[0].bytes)
        #expect(a.width == 4 && a.height == 3 && a.bitDepth == 8 && a.channels == 1)
        #expect(a.samples == [1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 2])
        #expect(try pixels(files[1].bytes) == [0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0])
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(files[2].bytes)) as? [String: Any])
        #expect(manifest["format"] as? String == "multiclass-png")
        #expect(manifest["exportedAt"] as? String == "2027-01-15T08:00:00Z")
        #expect(manifest["imagesWithoutMasks"] as? Int == 1)
        let labels = try #require(manifest["labels"] as? [[String: Any]])
        #expect(labels.map { $0["label"] as? String } == ["nucleus", "membrane"])
        #expect(labels.map { $0["value"] as? Int } == [1, 2])
        #expect((manifest["overlap"] as? String ?? "").contains("listed last"))
        let images = try #require(manifest["images"] as? [[String: Any]])
        #expect(images.first?["overlappingPixels"] as? Int == 1)
        #expect(images.last?["overlappingPixels"] as? Int == 0)
        let masks = try #require(images.first?["masks"] as? [[String: Any]])
        #expect(masks.map { $0["label"] as? String } == ["nucleus", "membrane"])
        #expect(masks.map { $0["pixels"] as? Int } == [3, 3])
        #expect(masks.map { $0["annotator"] as? String } == ["ana", "bo"])
        #expect(masks.map { $0["interactions"] as? Int } == [3, 5])
        #expect(masks.map { $0["version"] as? Int } == [1, 1])
        #expect(masks.allSatisfy { ($0["acceptedAt"] as? String)?.hasSuffix("Z") == true })
    }

    /// Both manifests write a mask's context-entry fields in one flat row beside their own
    /// (Docs/project-format.md §8); a mask copied in by hand has no entry, so no entry fields.
    @Test func manifestRowsAreFlatAndShareTheEntryFields() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        try project.accept(label: "nucleus", image: "a", mask: fixture.mask([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                           annotator: "ana", interactions: 3)
        try FileSystem.writeAtomically(try fixture.mask([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).pngData(),
                                       to: project.folder + "/masks/nucleus/b.png")
        func rows(_ json: [UInt8], _ path: (Any) -> [[String: Any]]?) throws -> [[String: Any]] {
            try #require(path(try JSONSerialization.jsonObject(with: Data(json))))
        }
        let entryKeys = ["acceptedAt", "annotator", "inContext", "included", "interactions", "version"]
        let zip = try ZipArchive(try project.exportZip(label: "nucleus", manifest: true))
        let perLabel = try rows(Array(try #require(try zip.contents(of: "manifest.json")))) { ($0 as? [String: Any])?["masks"] as? [[String: Any]] }
        #expect(perLabel.map { $0.keys.sorted() } == [(entryKeys + ["file", "image"]).sorted(), ["file", "image", "inContext", "included"]])
        #expect(perLabel[0]["annotator"] as? String == "ana" && perLabel[0]["file"] as? String == "a.png")
        #expect(perLabel[1]["inContext"] as? Bool == false && perLabel[1]["included"] as? Bool == false)

        let files = try project.exportMulticlass()
        let images = try rows(try #require(files.last?.bytes)) { ($0 as? [String: Any])?["images"] as? [[String: Any]] }
        let masks = images.map { ($0["masks"] as? [[String: Any]])?.first ?? [:] }
        #expect(masks.map { $0.keys.sorted() } == [(entryKeys + ["label", "pixels", "value"]).sorted(),
                                                   ["inContext", "included", "label", "pixels", "value"]])
        #expect(masks[0]["interactions"] as? Int == 3 && masks[0]["pixels"] as? Int == 2 && masks[1]["pixels"] as? Int == 1)
    }

    @Test func theLabelsOrderDecidesTheValues() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        try project.addLabel("membrane")
        try project.accept(label: "membrane", image: "b", mask: fixture.mask([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                           annotator: "ana", interactions: 1)
        #expect(try pixels(try project.exportMulticlass()[0].bytes)[0] == 2)
        // Renaming keeps a label's place, so its value.
        try project.renameLabel("nucleus", to: "nuclei")
        try project.accept(label: "nuclei", image: "b", mask: fixture.mask([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                           annotator: "ana", interactions: 1)
        #expect(try Array(pixels(try project.exportMulticlass()[0].bytes).prefix(3)) == [2, 1, 0])
        // Deleting the first label renumbers the rest: the manifest says which value is which.
        try project.deleteLabel("nuclei")
        let files = try project.exportMulticlass()
        #expect(try Array(pixels(files[0].bytes).prefix(3)) == [1, 0, 0])
        let manifest = try JSONSerialization.jsonObject(with: Data(files.last!.bytes)) as? [String: Any]
        #expect((manifest?["labels"] as? [[String: Any]])?.map { $0["label"] as? String } == ["membrane"])
    }

    @Test func anEmptyProjectIsAClearErrorNotAnEmptyArchive() throws {
        let fixture = try StoreFixture()
        #expect(throws: ProjectStoreError.nothingToExport("no image has an accepted mask of any label yet; accept one first")) {
            try fixture.project.exportMulticlassZip()
        }
        let bare = try fixture.library.createProject(name: "Bare", labels: [])
        #expect(throws: ProjectStoreError.nothingToExport("the project has no labels; add one first")) {
            try bare.exportMulticlass()
        }
    }

    @Test func theZipAndTheFolderHoldTheSameFiles() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        try project.accept(label: "nucleus", image: "c", mask: fixture.mask([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
                           annotator: "ana", interactions: 1)
        let zip = try ZipArchive(try project.exportMulticlassZip())
        #expect(zip.entries.map(\.name) == ["c.png", "manifest.json"])
        let folder = fixture.directory.path + "/out"
        #expect(try project.exportMulticlass(to: folder) == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["c.png", "manifest.json"])
        #expect(FileManager.default.contents(atPath: folder + "/c.png").map { [UInt8]($0) } == (try zip.contents(of: "c.png")).map { [UInt8]($0) })
        // Exporting again replaces the folder (it holds only what an export writes).
        #expect(try project.exportMulticlass(to: folder) == 1)
    }
}
