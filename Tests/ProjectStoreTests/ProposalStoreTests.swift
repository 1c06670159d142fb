import Foundation
import Imaging
import PNGCodec
@testable import ProjectStore
import TestSupport
import Testing

/// `proposals/<label>/`: written atomically through the store, kept apart from accepted masks,
/// refused for hostile ids and links leading out, and recording the context revision.
@Suite struct ProposalStoreTests {
    /// A project with three 8 x 6 images a, b, c and the label "cell".
    func makeProject(_ directory: TemporaryDirectory) throws -> Project {
        let library = try ProjectLibrary(root: directory.path)
        let project = try library.createProject(name: "Cells", labels: ["cell"])
        for (index, name) in ["a", "b", "c"].enumerated() {
            let pixels = (0..<48).map { UInt16(($0 * (index + 3)) % 251) }
            let png = try PNGImage(width: 8, height: 6, channels: 1, bitDepth: 8, samples: pixels).pngData()
            try project.importImage(name: name + ".png", png: png)
        }
        return project
    }

    func mask(_ seed: Int) -> BinaryMask {
        BinaryMask(width: 8, height: 6, pixels: (0..<48).map { ($0 + seed) % 3 == 0 })
    }

    func record(_ revision: String = "0123456789abcdef") -> ProposalRecord {
        ProposalRecord(contextRevision: revision, uncertainty: 0.25, model: "m sha256:00", contextSize: 2)
    }

    @Test func savesThePNGAndItsRecordAndLeavesNoTemporaryFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try makeProject(directory)
        #expect(try project.saveProposal(label: "cell", image: "b", mask: mask(1), record: record()))
        let png = try #require(try project.proposalPNG(label: "cell", image: "b"))
        #expect(try BinaryMask(png: png) == mask(1))
        #expect(try PNGImage(decoding: png).bitDepth == 8)
        let saved = try #require(try project.proposal(label: "cell", image: "b"))
        #expect(saved.contextRevision == "0123456789abcdef" && saved.schema == 1 && saved.contextSize == 2)
        #expect(saved.uncertainty == 0.25 && saved.model == "m sha256:00")
        #expect(try project.proposalIDs(label: "cell") == ["b"])
        let names = try FileManager.default.contentsOfDirectory(atPath: project.folder + "/proposals/cell").sorted()
        #expect(names == ["b.json", "b.png"])
        // Written again (a newer context), it replaces the old one in place.
        #expect(try project.saveProposal(label: "cell", image: "b", mask: mask(2), record: record("ffffffffffffffff")))
        #expect(try BinaryMask(png: #require(try project.proposalPNG(label: "cell", image: "b"))) == mask(2))
        #expect(try project.proposal(label: "cell", image: "b")?.contextRevision == "ffffffffffffffff")
    }

    @Test func neverTouchesAcceptedMasks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try makeProject(directory)
        try project.accept(label: "cell", image: "a", mask: mask(0), annotator: "ana", interactions: 2)
        let before = try FileSystem.read(project.maskPath(label: "cell", image: "a"))
        let manifest = try project.context(label: "cell")
        // An accepted image gets no proposal: nothing is written.
        #expect(try project.saveProposal(label: "cell", image: "a", mask: mask(1), record: record()) == false)
        #expect(try project.proposalPNG(label: "cell", image: "a") == nil)
        #expect(try project.proposal(label: "cell", image: "a") == nil)
        try project.saveProposal(label: "cell", image: "b", mask: mask(1), record: record())
        #expect(try FileSystem.read(project.maskPath(label: "cell", image: "a")) == before)
        #expect(try project.context(label: "cell") == manifest)
        #expect(!project.isAccepted(label: "cell", image: "b"))
        #expect(try project.acceptedMasks(label: "cell").map(\.image) == ["a"])
    }

    @Test func refusesHostileIdsUnknownLabelsAndWrongSizes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try makeProject(directory)
        for id in ["../a", ".hidden", "a/b", "", "a\u{0}b", String(repeating: "x", count: 200)] {
            #expect(throws: ProjectStoreError.self) {
                try project.saveProposal(label: "cell", image: id, mask: mask(0), record: record())
            }
            #expect(throws: ProjectStoreError.self) { try project.proposal(label: "cell", image: id) }
        }
        #expect(throws: ProjectStoreError.unknownLabel("bone")) {
            try project.saveProposal(label: "bone", image: "a", mask: mask(0), record: record())
        }
        #expect(throws: ProjectStoreError.unknownImage("zzz")) {
            try project.saveProposal(label: "cell", image: "zzz", mask: mask(0), record: record())
        }
        #expect(throws: ProjectStoreError.self) {
            try project.saveProposal(label: "cell", image: "a", mask: BinaryMask(width: 3, height: 3, pixels: .init(repeating: true, count: 9)),
                                     record: record())
        }
        #expect(!FileSystem.exists(project.folder + "/proposals/cell/a.png"))
    }

    @Test func aProposalsFolderLinkedOutsideIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try makeProject(directory)
        let outside = directory.file("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: project.folder + "/proposals", withDestinationPath: outside)
        #expect(throws: ProjectStoreError.self) {
            try project.saveProposal(label: "cell", image: "a", mask: mask(0), record: record())
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
    }

    @Test func aBrokenOrHalfWrittenProposalCountsAsMissing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try makeProject(directory)
        try project.saveProposal(label: "cell", image: "a", mask: mask(0), record: record())
        try project.saveProposal(label: "cell", image: "b", mask: mask(0), record: record())
        // A record cut short, and a PNG whose record never came (killed in between).
        try FileSystem.writeAtomically(Array("{\"schema\":1,\"contextRe".utf8), to: project.folder + "/proposals/cell/a.json")
        try FileSystem.remove(project.folder + "/proposals/cell/b.json")
        // A temporary file of an interrupted write.
        try FileSystem.writeAtomically([1, 2], to: project.folder + "/proposals/cell/.c.json.1.2.tmp")
        #expect(try project.proposal(label: "cell", image: "a") == nil)
        #expect(try project.proposal(label: "cell", image: "b") == nil)
        #expect(try project.proposalIDs(label: "cell") == ["a"])
    }

    @Test func contextRevisionFingerprintsAreStableAndTellRevisionsApart() throws {
        func entry(_ id: String, _ version: Int, _ included: Bool = true) -> ContextEntry {
            ContextEntry(id: id, version: version, annotator: "x", acceptedAt: "t", interactions: 1, included: included)
        }
        let base = ContextRevision(manifest: ContextManifest(label: "l", entries: [entry("a", 1), entry("b", 2)]))
        // FNV-1a is fixed by its definition: the same string in every process, on every machine.
        #expect(StableHash.hex(StableHash.fnv1a64("")) == "cbf29ce484222325")
        #expect(StableHash.hex(StableHash.fnv1a64("a")) == "af63dc4c8601ec8c")
        #expect(StableHash.hex(StableHash.fnv1a64("foobar")) == "85944171f73967e8")
        #expect(base.fingerprint == StableHash.hex(StableHash.fnv1a64("context-revision-1\na\t1\t1\nb\t2\t1\n")))
        let others = [
            ContextRevision(manifest: ContextManifest(label: "l", entries: [entry("a", 1), entry("b", 3)])),
            ContextRevision(manifest: ContextManifest(label: "l", entries: [entry("a", 1), entry("b", 2, false)])),
            ContextRevision(manifest: ContextManifest(label: "l", entries: [entry("b", 2), entry("a", 1)])),
            ContextRevision(manifest: ContextManifest(label: "l", entries: [entry("a", 1)])),
            ContextRevision(manifest: nil),
        ]
        #expect(Set(others.map(\.fingerprint) + [base.fingerprint]).count == 6)
        #expect(base.includedInOrder.map(\.id) == ["a", "b"])
        #expect(others[1].includedInOrder.map(\.id) == ["a"])
    }
}


/// The review of proposals: the queue (most uncertain first, stale flags), accepting one as it is,
/// rejecting one (recorded for `propagate`), drafts, and a collaborator changing one meanwhile.
@Suite struct ProposalReviewTests {
    let helpers = ProposalStoreTests()

    func record(_ revision: String, _ uncertainty: Double) -> ProposalRecord {
        ProposalRecord(contextRevision: revision, uncertainty: uncertainty, model: "m sha256:00", contextSize: 1)
    }

    @Test func theQueueIsMostUncertainFirstWithStaleFlagsAndCounts() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try helpers.makeProject(directory)
        try project.accept(label: "cell", image: "a", mask: helpers.mask(0), annotator: "ana", interactions: 2)
        let current = project.contextRevision(label: "cell").fingerprint
        try project.saveProposal(label: "cell", image: "b", mask: helpers.mask(1), record: record(current, 0.1))
        try project.saveProposal(label: "cell", image: "c", mask: helpers.mask(2), record: record("0000000000000000", 0.4))
        var queue = try project.proposalQueue(label: "cell")
        #expect(queue.items.map(\.image) == ["c", "b"])
        #expect(queue.items.map(\.stale) == [true, false])
        #expect(queue.accepted == 1 && queue.proposed == 2 && queue.remaining == 0 && queue.stale == 1)
        #expect(queue.contextRevision == current)
        // A draft is never stale, whatever its record says about the context.
        try project.saveProposal(label: "cell", image: "c", mask: helpers.mask(2), record: .draft(fileName: "c_mask.png"))
        queue = try project.proposalQueue(label: "cell")
        #expect(queue.items.map(\.image) == ["b", "c"] && queue.stale == 0)
        #expect(queue.items[1].record.isDraft && queue.items[1].record.importedFrom == "c_mask.png")
        // Another accept makes b's proposal stale.
        try project.accept(label: "cell", image: "a", mask: helpers.mask(1), annotator: "ana", interactions: 1)
        #expect(try project.proposalQueue(label: "cell").items.first { $0.image == "b" }?.stale == true)
    }

    @Test func acceptingAProposalMakesItAnAcceptedMaskWithNoInteractions() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try helpers.makeProject(directory)
        try project.accept(label: "cell", image: "a", mask: helpers.mask(0), annotator: "ana", interactions: 2)
        try project.saveProposal(label: "cell", image: "b", mask: helpers.mask(1), record: record("x", 0.2))
        let item = try #require(try project.proposalQueue(label: "cell").items.first)
        let entry = try project.acceptProposal(label: "cell", image: "b", annotator: "bo", expectedTag: item.tag)
        #expect(entry.interactions == 0 && entry.annotator == "bo" && entry.version == 1 && entry.included)
        #expect(try project.mask(label: "cell", image: "b") == helpers.mask(1))
        #expect(try project.context(label: "cell").entries.map(\.id) == ["a", "b"])
        #expect(try project.proposal(label: "cell", image: "b") == nil)
        #expect(!FileSystem.exists(project.folder + "/proposals/cell/b.png"))
        let queue = try project.proposalQueue(label: "cell")
        #expect(queue.items.isEmpty && queue.accepted == 2 && queue.remaining == 1)
        // Accepting it again: there is nothing to accept.
        #expect(throws: ProjectStoreError.proposalChanged(image: "b", label: "cell", change: "was accepted meanwhile")) {
            try project.acceptProposal(label: "cell", image: "b", annotator: "bo")
        }
        #expect(throws: ProjectStoreError.noProposal(image: "c", label: "cell")) {
            try project.acceptProposal(label: "cell", image: "c", annotator: "bo")
        }
    }

    @Test func aProposalChangedByACollaboratorIsNotAcceptedOrRejected() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try helpers.makeProject(directory)
        try project.saveProposal(label: "cell", image: "b", mask: helpers.mask(1), record: record("x", 0.2))
        let seen = try #require(try project.proposalQueue(label: "cell").items.first)
        // Another app's propagate replaces it in the meantime.
        try project.saveProposal(label: "cell", image: "b", mask: helpers.mask(2), record: record("y", 0.3))
        #expect(throws: ProjectStoreError.proposalChanged(image: "b", label: "cell", change: "was replaced meanwhile")) {
            try project.acceptProposal(label: "cell", image: "b", annotator: "bo", expectedTag: seen.tag)
        }
        #expect(throws: ProjectStoreError.proposalChanged(image: "b", label: "cell", change: "was replaced meanwhile")) {
            try project.rejectProposal(label: "cell", image: "b", annotator: "bo", expectedTag: seen.tag)
        }
        #expect(!project.isAccepted(label: "cell", image: "b"))
        #expect(try project.proposal(label: "cell", image: "b")?.contextRevision == "y")
        #expect(try project.rejection(label: "cell", image: "b") == nil)
    }

    /// The queue remembers the records while the folder's stamp stays the same (`ProposalIndex`):
    /// once the files are settled, what another app or a hand tool changes (each by rename, as the
    /// format asks) still shows at once, and an unchanged folder is not listed again.
    @Test func theQueueFollowsCollaboratorsThroughRememberedRecords() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try helpers.makeProject(directory)
        try project.saveProposal(label: "cell", image: "b", mask: helpers.mask(1), record: record("x", 0.2))
        try project.saveProposal(label: "cell", image: "c", mask: helpers.mask(2), record: record("x", 0.4))
        Thread.sleep(forTimeInterval: 2.3)  // ProposalIndex.shared trusts a stamp 2 s old
        let first = try project.proposalQueue(label: "cell")
        #expect(first.items.map(\.image) == ["c", "b"])
        let folder = project.folder + "/proposals/cell"
        let listings = ProposalIndex.shared.listings(of: folder)
        #expect(try project.proposalQueue(label: "cell") == first)
        #expect(listings > 0 && ProposalIndex.shared.listings(of: folder) == listings,
                "a settled, unchanged folder is not listed again")
        // Another app on the same folder replaces b's proposal: its record file is new.
        let other = try ProjectLibrary(root: directory.path).project(project.id)
        try other.saveProposal(label: "cell", image: "b", mask: helpers.mask(2), record: record("y", 0.9))
        var queue = try project.proposalQueue(label: "cell")
        #expect(queue.items.map(\.image) == ["b", "c"] && queue.items[0].record.contextRevision == "y")
        #expect(queue.items[0].tag != first.items[1].tag)
        // A hand tool rewrites c's record (beside it, then renamed over it): a new inode, read again.
        Thread.sleep(forTimeInterval: 2.3)
        _ = try project.proposalQueue(label: "cell")
        let path = project.folder + "/proposals/cell/c.json"
        var edited = record("x", 0.95)
        edited.model = "hand"
        try FileSystem.writeAtomically(Array(try JSONEncoder().encode(edited)), to: path)
        queue = try project.proposalQueue(label: "cell")
        #expect(queue.items.map(\.image) == ["c", "b"] && queue.items[0].record.model == "hand")
        // A broken record drops out; the other app rejects one and accepts the other.
        try FileSystem.writeAtomically(Array("{not json".utf8), to: path)
        #expect(try project.proposalQueue(label: "cell").items.map(\.image) == ["b"])
        try other.saveProposal(label: "cell", image: "c", mask: helpers.mask(2), record: record("x", 0.5))
        let tags = Dictionary(uniqueKeysWithValues: try project.proposalQueue(label: "cell").items.map { ($0.image, $0.tag) })
        try other.rejectProposal(label: "cell", image: "c", annotator: "bo", expectedTag: tags["c"])
        try other.acceptProposal(label: "cell", image: "b", annotator: "bo", expectedTag: tags["b"])
        queue = try project.proposalQueue(label: "cell")
        #expect(queue.items.isEmpty && queue.accepted == 1 && queue.remaining == 2)
    }

    /// A record edited in place (against the format's rule) keeps its inode and is not read again,
    /// but acting on it finds the difference: the action is refused and the queue read again.
    @Test func aRecordEditedInPlaceIsCaughtWhenActedOn() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try helpers.makeProject(directory)
        try project.saveProposal(label: "cell", image: "c", mask: helpers.mask(2), record: record("x", 0.4))
        Thread.sleep(forTimeInterval: 2.3)
        let seen = try #require(try project.proposalQueue(label: "cell").items.first)
        let path = project.folder + "/proposals/cell/c.json"
        var edited = record("x", 0.95)
        edited.model = "hand"
        let file = try #require(FileHandle(forWritingAtPath: path))
        try file.truncate(atOffset: 0)
        try file.write(contentsOf: try JSONEncoder().encode(edited))
        try file.close()
        #expect(throws: ProjectStoreError.proposalChanged(image: "c", label: "cell", change: "was replaced meanwhile")) {
            try project.acceptProposal(label: "cell", image: "c", annotator: "ana", expectedTag: seen.tag)
        }
        let again = try #require(try project.proposalQueue(label: "cell").items.first)
        #expect(again.record.model == "hand" && again.tag != seen.tag)
        try project.acceptProposal(label: "cell", image: "c", annotator: "ana", expectedTag: again.tag)
        #expect(project.isAccepted(label: "cell", image: "c"))
    }

    /// A proposal's file replaced by a link leading out of the project is refused, also once the
    /// folder's listing is remembered, and only while the link is there.
    @Test func aProposalFileLinkedOutsideIsRefusedByTheQueue() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try helpers.makeProject(directory)
        try project.saveProposal(label: "cell", image: "b", mask: helpers.mask(1), record: record("x", 0.2))
        try project.saveProposal(label: "cell", image: "c", mask: helpers.mask(2), record: record("x", 0.4))
        Thread.sleep(forTimeInterval: 2.3)
        #expect(try project.proposalQueue(label: "cell").items.count == 2)
        let outside = directory.file("outside.png")
        try FileSystem.writeAtomically(try helpers.mask(1).pngData(), to: outside)
        let mask = project.folder + "/proposals/cell/c.png"
        try FileSystem.remove(mask)
        try FileManager.default.createSymbolicLink(atPath: mask, withDestinationPath: outside)
        Thread.sleep(forTimeInterval: 2.3)
        for _ in 0..<2 {
            #expect(throws: ProjectStoreError.self) { try project.proposalQueue(label: "cell") }
        }
        try FileSystem.remove(mask)
        #expect(try project.proposalQueue(label: "cell").items.map(\.image) == ["b"])
    }

    @Test func rejectingRemovesTheProposalAndRecordsTheRevision() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try helpers.makeProject(directory)
        try project.saveProposal(label: "cell", image: "c", mask: helpers.mask(1), record: record("abc", 0.2))
        try project.rejectProposal(label: "cell", image: "c", annotator: "ana")
        #expect(try project.proposal(label: "cell", image: "c") == nil)
        #expect(!project.isAccepted(label: "cell", image: "c"))
        let rejection = try #require(try project.rejection(label: "cell", image: "c"))
        #expect(rejection.contextRevision == "abc" && rejection.annotator == "ana" && rejection.model == "m sha256:00")
        #expect(try project.proposalIDs(label: "cell").isEmpty)
        #expect(try project.rejectedImages(label: "cell") == ["c"])
        #expect(try project.proposalQueue(label: "cell").remaining == 3)
        #expect(throws: ProjectStoreError.noProposal(image: "c", label: "cell")) {
            try project.rejectProposal(label: "cell", image: "c", annotator: "ana")
        }
        // A later accept of the image (made by hand) settles it; a proposal accepted in review
        // clears the rejection too.
        try project.saveProposal(label: "cell", image: "c", mask: helpers.mask(2), record: record("def", 0.2))
        try project.acceptProposal(label: "cell", image: "c", annotator: "ana")
        #expect(try project.rejection(label: "cell", image: "c") == nil)
        #expect(try project.rejectedImages(label: "cell").isEmpty)
    }

    @Test func anOrdinaryAcceptSettlesTheImagesProposal() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try helpers.makeProject(directory)
        try project.saveProposal(label: "cell", image: "b", mask: helpers.mask(1), record: record("x", 0.2))
        // Refining in the app ends in the ordinary accept, with the clicks it took.
        let entry = try project.accept(label: "cell", image: "b", mask: helpers.mask(2), annotator: "ana", interactions: 3)
        #expect(entry.interactions == 3)
        #expect(try project.proposal(label: "cell", image: "b") == nil)
        #expect(try project.proposalPNG(label: "cell", image: "b") == nil)
    }

    @Test func aProposalLeftBesideAnAcceptedMaskIsSettledNotReviewed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try helpers.makeProject(directory)
        try project.saveProposal(label: "cell", image: "b", mask: helpers.mask(1), record: record("x", 0.2))
        let png = try FileSystem.read(project.folder + "/proposals/cell/b.png")
        let json = try FileSystem.read(project.folder + "/proposals/cell/b.json")
        try project.accept(label: "cell", image: "b", mask: helpers.mask(2), annotator: "ana", interactions: 2)
        // As a crash between the accept's commit and the proposal's removal would leave it.
        try FileSystem.writeAtomically(png, to: project.folder + "/proposals/cell/b.png")
        try FileSystem.writeAtomically(json, to: project.folder + "/proposals/cell/b.json")
        let queue = try project.proposalQueue(label: "cell")
        #expect(queue.items.isEmpty && queue.accepted == 1 && queue.remaining == 2)
        #expect(throws: ProjectStoreError.proposalChanged(image: "b", label: "cell", change: "was accepted meanwhile")) {
            try project.acceptProposal(label: "cell", image: "b", annotator: "bo")
        }
        #expect(throws: ProjectStoreError.proposalChanged(image: "b", label: "cell", change: "was accepted meanwhile")) {
            try project.rejectProposal(label: "cell", image: "b", annotator: "bo")
        }
        // The accepted mask is the one accepted by hand, untouched.
        #expect(try project.mask(label: "cell", image: "b") == helpers.mask(2))
        #expect(try project.context(label: "cell").entry("b")?.interactions == 2)
    }

    @Test func aRejectedFolderLinkedOutsideIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try helpers.makeProject(directory)
        try project.saveProposal(label: "cell", image: "b", mask: helpers.mask(1), record: record("x", 0.2))
        let outside = directory.file("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: project.folder + "/proposals/cell/rejected", withDestinationPath: outside)
        #expect(throws: ProjectStoreError.self) { try project.rejectProposal(label: "cell", image: "b", annotator: "x") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        // Nothing was lost: the proposal is still there to review.
        #expect(try project.proposal(label: "cell", image: "b") != nil)
    }

    @Test func aRenamedLabelKeepsItsQueueDraftsAndRejections() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try helpers.makeProject(directory)
        try project.saveProposal(label: "cell", image: "a", mask: helpers.mask(1), record: record("x", 0.2))
        try project.saveProposal(label: "cell", image: "b", mask: helpers.mask(2), record: .draft(fileName: "b_mask.png"))
        try project.saveProposal(label: "cell", image: "c", mask: helpers.mask(0), record: record("x", 0.3))
        try project.rejectProposal(label: "cell", image: "c", annotator: "ana")
        try project.renameLabel("cell", to: "nucleus")
        let queue = try project.proposalQueue(label: "nucleus")
        #expect(queue.items.map(\.image) == ["a", "b"] && queue.items[1].record.isDraft)
        #expect(try project.rejection(label: "nucleus", image: "c")?.annotator == "ana")
        try project.acceptProposal(label: "nucleus", image: "a", annotator: "ana")
        #expect(try project.mask(label: "nucleus", image: "a") == helpers.mask(1))
    }

    @Test func olderRecordsWithoutASourceStillRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let project = try helpers.makeProject(directory)
        try project.saveProposal(label: "cell", image: "b", mask: helpers.mask(1), record: record("x", 0.2))
        let old = #"{"contextRevision":"x","contextSize":1,"createdAt":"2026-12-02T21:55:35Z","model":"m","schema":1,"uncertainty":0.5}"#
        try FileSystem.writeAtomically(Array(old.utf8), to: project.folder + "/proposals/cell/b.json")
        let item = try #require(try project.proposalQueue(label: "cell").items.first)
        #expect(item.record.source == nil && !item.record.isDraft && item.stale && item.record.uncertainty == 0.5)
        // And a draft's record says only what older apps can ignore.
        let data = try JSONEncoder().encode(ProposalRecord.draft(fileName: "b.png"))
        let keys = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]).keys.sorted()
        #expect(keys == ["contextRevision", "contextSize", "createdAt", "importedFrom", "model", "schema", "source", "uncertainty"])
    }
}
