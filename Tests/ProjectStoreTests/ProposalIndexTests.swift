import Foundation
@testable import ProjectStore
import TestSupport
import Testing

/// `FileSystem.entries` and `ProposalIndex`: a label's proposals listed by name and inode, each record
/// read once and again only when it is replaced.
@Suite struct ProposalIndexTests {
    /// Longer than a tick of the file system's clock, so the tests need not wait seconds.
    static let settle = 0.05
    func waitUntilSettled() { Thread.sleep(forTimeInterval: 2 * Self.settle) }

    func record(_ uncertainty: Double, model: String = "m") throws -> [UInt8] {
        Array(try JSONEncoder().encode(ProposalRecord(contextRevision: "r", uncertainty: uncertainty, model: model,
                                                      contextSize: 1)))
    }

    @Test func entriesGiveKindsAndAnInodeThatChangesWithARename() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileSystem.writeAtomically([1], to: directory.file("a.json"))
        try FileSystem.makeFolder(directory.file("sub"))
        try FileManager.default.createSymbolicLink(atPath: directory.file("link"), withDestinationPath: "a.json")
        let first = try #require(FileSystem.entries(of: directory.path))
        let kinds = Dictionary(uniqueKeysWithValues: first.map { ($0.name, $0.kind) })
        #expect(kinds == ["a.json": .file, "sub": .folder, "link": .link])
        try FileSystem.writeAtomically([2], to: directory.file("a.json"))
        let second = try #require(FileSystem.entries(of: directory.path))
        let inode = { (entries: [FileSystem.FolderEntry]) in entries.first { $0.name == "a.json" }?.inode }
        #expect(inode(first) != nil && inode(first) != inode(second))
        #expect(FileSystem.entries(of: directory.file("none")) == nil)
        #expect(FileSystem.entries(of: directory.file("a.json")) == nil, "a file is no folder")
    }

    @Test func recordsAreReadOnceAndAgainOnlyWhenReplaced() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let index = ProposalIndex(settleSeconds: Self.settle)
        let folder = directory.path
        for (id, uncertainty) in [("b", 0.2), ("c", 0.7), ("d", 0.7)] {
            try FileSystem.writeAtomically([0], to: directory.file(id + ".png"))
            try FileSystem.writeAtomically(try record(uncertainty), to: directory.file(id + ".json"))
        }
        // A record without its PNG, a temporary file and a broken record: no proposal to review.
        try FileSystem.writeAtomically(try record(0.9), to: directory.file("e.json"))
        try FileSystem.writeAtomically([1], to: directory.file(".f.json.12.3.tmp"))
        try FileSystem.writeAtomically([0], to: directory.file("g.png"))
        try FileSystem.writeAtomically(Array("{".utf8), to: directory.file("g.json"))
        waitUntilSettled()
        let first = index.snapshot(of: folder, project: directory.path)
        #expect(first.queue.map(\.image) == ["c", "d", "b"], "most uncertain first, ties by id")
        #expect(first.ids == ["b", "c", "d", "g"] && first.leaving.isEmpty)
        let again = index.snapshot(of: folder, project: directory.path)
        #expect(again.generation == first.generation && index.listings(of: folder) == 1)
        // Replaced by rename: read again; the others are kept as they were read.
        try FileSystem.writeAtomically(try record(0.95, model: "new"), to: directory.file("b.json"))
        let changed = index.snapshot(of: folder, project: directory.path)
        #expect(changed.queue.map(\.image) == ["b", "c", "d"] && changed.queue[0].record.model == "new")
        #expect(changed.generation != first.generation && index.listings(of: folder) == 2)
        // Removed: gone at the next listing; nothing read, the order kept.
        try FileSystem.remove(directory.file("d.json"))
        #expect(index.snapshot(of: folder, project: directory.path).queue.map(\.image) == ["b", "c"])
        // Forgotten (a tag that did not match): everything read again.
        index.forget(folder)
        #expect(index.listings(of: folder) == 0)
        #expect(index.snapshot(of: folder, project: directory.path).queue.map(\.image) == ["b", "c"])
        #expect(index.snapshot(of: directory.file("none"), project: directory.path).ids.isEmpty)
    }
}
