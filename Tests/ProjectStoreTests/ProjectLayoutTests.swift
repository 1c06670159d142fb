import Foundation
import Imaging
import PNGCodec
import TestSupport
import Testing
@testable import ProjectStore

@Suite struct ProjectLayoutTests {
    @Test func pathsFollowTheFolderFormat() {
        let layout = ProjectLayout(folder: "/p/cells")
        #expect(layout.manifest == "/p/cells/project.json")
        #expect(layout.lock == "/p/cells/.multiverseg.lock")
        #expect(layout.image("a") == "/p/cells/images/a.png")
        #expect(layout.volume("ct") == "/p/cells/volumes/ct.json")
        #expect(layout.mask(label: "nucleus", image: "a") == "/p/cells/masks/nucleus/a.png")
        #expect(layout.context(label: "nucleus") == "/p/cells/context/nucleus.json")
        #expect(layout.history(label: "nucleus", image: "a", version: 3) == "/p/cells/history/nucleus/a/3.png")
        #expect(layout.pending(label: "nucleus", image: "a", version: 4) == "/p/cells/.pending/nucleus/a@4.png")
        #expect(layout.trashedImage("a") == "/p/cells/trash/images/a.png")
        #expect(layout.trashedImage("a", stamp: "20261202") == "/p/cells/trash/images/a-20261202.png")
    }

    @Test func stagedMaskNamesReadBack() {
        #expect(ProjectLayout.stagedMask(named: "a@4.png")! == ("a", 4))
        #expect(ProjectLayout.stagedMask(named: "scan-07@12.png")! == ("scan-07", 12))
        for name in ["a.png", "a@4.tmp", "a@x.png", "a@4@5.png", "@4.png.png", ".DS_Store"] {
            #expect(ProjectLayout.stagedMask(named: name) == nil, "\(name)")
        }
    }

    @Test func theStoreWritesWhereTheLayoutSays() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        try project.accept(label: "nucleus", image: "a", mask: fixture.mask([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]),
                           annotator: "t", interactions: 1)
        try project.accept(label: "nucleus", image: "a", mask: fixture.mask([0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]),
                           annotator: "t", interactions: 1)
        let layout = ProjectLayout(folder: project.folder)
        for path in [layout.manifest, layout.image("a"), layout.mask(label: "nucleus", image: "a"),
                     layout.context(label: "nucleus"), layout.history(label: "nucleus", image: "a", version: 1)] {
            #expect(FileSystem.exists(path), "\(path)")
        }
    }
}

@Suite struct AcceptedQueryTests {
    @Test func anAcceptedMaskIsOneInsideTheFolder() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        #expect(!project.isAccepted(label: "nucleus", image: "a"))
        try project.accept(label: "nucleus", image: "a", mask: fixture.mask(Array(repeating: 1, count: 12)),
                           annotator: "t", interactions: 1)
        #expect(project.isAccepted(label: "nucleus", image: "a"))
        #expect(!project.isAccepted(label: "nucleus", image: "b"))
        #expect(!project.isAccepted(label: "../nucleus", image: "a"))
        #expect(!project.isAccepted(label: "nucleus", image: "../a"))

        // A mask that is a link out of the project is no mask, as reading it would refuse it.
        let outside = fixture.directory.file("outside.png")
        try FileSystem.writeAtomically(try fixture.mask(Array(repeating: 1, count: 12)).pngData(), to: outside)
        try FileManager.default.createSymbolicLink(atPath: project.maskPath(label: "nucleus", image: "b"),
                                                   withDestinationPath: outside)
        #expect(FileSystem.exists(project.maskPath(label: "nucleus", image: "b")))
        #expect(!project.isAccepted(label: "nucleus", image: "b"))
        #expect(throws: ProjectStoreError.self) { try project.maskPNG(label: "nucleus", image: "b") }
    }
}
