import Foundation
import PNGCodec
import ProjectStore
import TestSupport
import Testing

/// The way back into the context set, and duplicate imports (issue 16, bugs 3 and 6).
@Suite struct ContextStatesTests {
    @Test func includingARemovedImageRestoresItsEntry() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        let mask = fixture.mask([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        let accepted = try project.accept(label: "nucleus", image: "a", mask: mask, annotator: "ana", interactions: 3)
        try project.accept(label: "nucleus", image: "b", mask: mask, annotator: "bo", interactions: 1)
        try project.removeFromContext(label: "nucleus", image: "a")
        #expect(try project.context(label: "nucleus").entries.map(\.id) == ["b"])
        #expect(try project.context(label: "nucleus").removedEntries == [accepted])

        let restored = try project.setIncluded(label: "nucleus", image: "a", included: true)
        #expect(restored == accepted)
        let context = try project.context(label: "nucleus")
        #expect(context.entries.map(\.id) == ["b", "a"])
        #expect(context.removed == nil)
        #expect(try project.mask(label: "nucleus", image: "a") == mask)
        // Accepting again after the restore continues the numbering.
        #expect(try project.accept(label: "nucleus", image: "a", mask: mask, annotator: "ana", interactions: 1).version == 2)
    }

    @Test func acceptingARemovedImageForgetsTheRemovedEntry() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        let mask = fixture.mask([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        try project.accept(label: "nucleus", image: "a", mask: mask, annotator: "ana", interactions: 3)
        try project.removeFromContext(label: "nucleus", image: "a")
        let again = try project.accept(label: "nucleus", image: "a", mask: mask, annotator: "ana", interactions: 2)
        #expect(again.version == 2)
        #expect(try project.context(label: "nucleus").removed == nil)
    }

    @Test func aMaskWithoutAnEntryJoinsWithAVersionOfItsOwn() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        // A mask copied into masks/ by hand (or by another tool), never accepted here.
        let png = try fixture.mask([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).pngData()
        try FileManager.default.createDirectory(atPath: project.folder + "/masks/nucleus", withIntermediateDirectories: true)
        try Data(png).write(to: URL(fileURLWithPath: project.maskPath(label: "nucleus", image: "c")))
        let entry = try project.setIncluded(label: "nucleus", image: "c", included: true)
        #expect(entry.version == 1 && entry.included && entry.interactions == 0)
        // Excluding an image that is not in the context set, or including one without a mask, stays an error.
        #expect(throws: ProjectStoreError.notInContext(image: "b", label: "nucleus")) {
            try project.setIncluded(label: "nucleus", image: "b", included: true)
        }
    }

    @Test func anIdenticalFileIsRefusedWhenAskedNamingTheImageItEquals() throws {
        let fixture = try StoreFixture()
        let project = fixture.project
        let png = try PNGImage.encode(samples: (0..<12).map { UInt16($0 * 20) }, width: 4, height: 3,
                                      colorType: .grey, bitDepth: 8)
        #expect(throws: ProjectStoreError.duplicateImage(name: "again.png", existing: "a")) {
            try project.importImage(name: "again.png", png: png, refusingDuplicates: true)
        }
        #expect(project.imageIDs() == ["a", "b", "c"])
        let other = try PNGImage.encode(samples: (0..<12).map { UInt16($0 * 10) }, width: 4, height: 3,
                                        colorType: .grey, bitDepth: 8)
        #expect(try project.importImage(name: "a.png", png: other, refusingDuplicates: true) == "a-2")
    }
}
