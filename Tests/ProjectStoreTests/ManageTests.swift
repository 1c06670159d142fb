import Foundation
import PNGCodec
import ProjectStore
import TestSupport
import Testing

/// Managing what was made: un-accepting a mask (issue 16, "Manage").
@Suite struct ManageTests {
    @Test func unacceptingMovesTheMaskToHistoryAndTheImageOutOfTheContext() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        let first = fixture.mask([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        try project.accept(label: "nucleus", image: "a", mask: first, annotator: "ana", interactions: 3)
        try project.accept(label: "nucleus", image: "b", mask: first, annotator: "ana", interactions: 1)
        try project.unaccept(label: "nucleus", image: "a")
        #expect(try project.mask(label: "nucleus", image: "a") == nil)
        #expect(try project.context(label: "nucleus").entries.map(\.id) == ["b"])
        #expect(try project.context(label: "nucleus").removed == nil)
        #expect(try project.historyVersions(label: "nucleus", image: "a") == [1])
        // Accepting again continues the numbering; un-accepting what is not accepted is a clear error.
        let second = fixture.mask([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
        #expect(try project.accept(label: "nucleus", image: "a", mask: second, annotator: "bo", interactions: 2).version == 2)
        #expect(throws: ProjectStoreError.notAccepted(image: "c", label: "nucleus")) {
            try project.unaccept(label: "nucleus", image: "c")
        }
    }

    @Test func unacceptingAnImageRemovedFromTheContextKeepsOneHistoryVersion() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        let mask = fixture.mask([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        try project.accept(label: "nucleus", image: "a", mask: mask, annotator: "ana", interactions: 3)
        try project.removeFromContext(label: "nucleus", image: "a")
        try project.unaccept(label: "nucleus", image: "a")
        #expect(try project.historyVersions(label: "nucleus", image: "a") == [1])
        #expect(try project.context(label: "nucleus").removed == nil)
        #expect(try project.mask(label: "nucleus", image: "a") == nil)
    }

    @Test func renamingChangesTheNameButNotTheId() throws {
        let fixture = try StoreFixture()
        try fixture.project.rename(to: "  Nuclei, round 2 ")
        let reopened = try fixture.library.project(fixture.project.id)
        #expect(try reopened.manifest().name == "Nuclei, round 2")
        #expect(try reopened.labels() == ["nucleus"])
        #expect(throws: ProjectStoreError.invalidIdentifier(kind: "project name", value: " ")) {
            try fixture.project.rename(to: " ")
        }
    }

    @Test func deletingAnImageKeepsItAndItsMasksOutOfTheWay() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        let mask = fixture.mask([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        try project.accept(label: "nucleus", image: "a", mask: mask, annotator: "ana", interactions: 3)
        let bytes = try project.imagePNG("a")
        try project.deleteImage("a")
        #expect(project.imageIDs() == ["b", "c"])
        #expect(try project.context(label: "nucleus").entries.isEmpty)
        #expect(try project.historyVersions(label: "nucleus", image: "a") == [1])
        #expect(FileManager.default.contents(atPath: project.folder + "/trash/images/a.png").map { [UInt8]($0) } == bytes)
        #expect(throws: ProjectStoreError.unknownImage("a")) { try project.deleteImage("a") }
    }

    @Test func deletingAProjectMovesItsFolderToTheTrash() throws {
        let fixture = try StoreFixture()
        let id = fixture.project.id
        try fixture.library.deleteProject(id)
        #expect(fixture.library.projects().isEmpty)
        #expect(throws: ProjectStoreError.unknownProject(id)) { try fixture.library.project(id) }
        let trash = (try? FileManager.default.contentsOfDirectory(atPath: fixture.library.root + "/.trash")) ?? []
        #expect(trash.count == 1 && trash[0].hasPrefix(id + "-"), "\(trash)")
        #expect(FileManager.default.fileExists(atPath: fixture.library.root + "/.trash/\(trash.first ?? "")/images/a.png"))
    }
}
