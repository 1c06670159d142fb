import Foundation
import ProjectStore
import TestSupport
import Testing

/// One context revision per label, which the server's caches and collaborator watch key on.
@Suite struct ContextRevisionTests {
    @Test func everyChangeOfTheContextSetGivesANewRevision() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        let mask = fixture.mask([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        var seen = [project.contextRevision(label: "nucleus")]
        #expect(seen[0].entries == [] && seen[0].includedCount == 0)
        func expectNew(_ what: Comment) {
            let now = project.contextRevision(label: "nucleus")
            #expect(!seen.contains(now), what)
            #expect(now == project.contextRevision(label: "nucleus"), "reading twice gives the same revision")
            seen.append(now)
        }
        try project.accept(label: "nucleus", image: "a", mask: mask, annotator: "ana", interactions: 1)
        expectNew("accept")
        try project.accept(label: "nucleus", image: "b", mask: mask, annotator: "ana", interactions: 1)
        expectNew("second accept")
        try project.accept(label: "nucleus", image: "a", mask: mask, annotator: "bo", interactions: 2)
        expectNew("re-accept")
        #expect(project.contextRevision(label: "nucleus").includedVersions == ["a": 2, "b": 1])
        _ = try project.setIncluded(label: "nucleus", image: "b", included: false)
        expectNew("exclusion")
        #expect(project.contextRevision(label: "nucleus").includedVersions == ["a": 2])
        #expect(project.contextRevision(label: "nucleus").includedCount == 1)
        try project.removeFromContext(label: "nucleus", image: "a")
        expectNew("removal")
    }

    @Test func anUnreadableManifestIsARevisionOfItsOwn() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        let empty = project.contextRevision(label: "nucleus")
        try FileManager.default.createDirectory(atPath: project.folder + "/context", withIntermediateDirectories: true)
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: project.folder + "/context/nucleus.json"))
        let broken = project.contextRevision(label: "nucleus")
        #expect(broken.entries == nil && broken != empty && broken.includedCount == 0)
        #expect(project.contextRevision(label: "no-such-label").entries == nil)
    }
}
