import Foundation
import Imaging
import PNGCodec
@testable import ProjectStore
import TestSupport
import Testing

/// `StampedCache`: what was read from a folder or file is reused only while its stamp says nothing
/// changed, so collaborators on a shared folder still see each other's changes at once.
@Suite struct StampedCacheTests {
    func png(_ width: Int, _ height: Int, seed: Int = 0) throws -> [UInt8] {
        try PNGImage(width: width, height: height, channels: 1, bitDepth: 8,
                     samples: (0..<(width * height)).map { UInt16(($0 * (seed + 3)) % 251) }).pngData()
    }

    /// Longer than a tick of the file system's clock (4 ms on ext4), so tests need not wait seconds.
    static let settle = 0.05
    func waitUntilSettled() { Thread.sleep(forTimeInterval: 2 * Self.settle) }

    @Test func aSettledListingIsReusedUntilTheFolderChanges() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cache = StampedCache(settleSeconds: Self.settle)
        try FileSystem.writeAtomically([1], to: directory.file("a"))
        waitUntilSettled()
        var calls = 0
        func names() -> [String] { cache.value(of: directory.path, kind: "names") { calls += 1; return $0.sorted() } }
        #expect(names() == ["a"] && names() == ["a"])
        #expect(calls == 1 && cache.counts.reused == 1)
        // Another process adding a file (a rename into the folder) changes the folder's stamp.
        try FileSystem.writeAtomically([2], to: directory.file("b"))
        #expect(names() == ["a", "b"] && calls == 2)
        try FileSystem.remove(directory.file("a"))
        #expect(names() == ["b"] && calls == 3)
        // Another kind of value of the same folder is its own.
        #expect(cache.value(of: directory.path, kind: "count") { $0.count } == 1)
        // A folder that is not there lists as empty, and is not remembered.
        #expect(cache.value(of: directory.file("none"), kind: "names") { $0 } == [])
    }

    @Test func aListingMadeWhileTheFolderIsFreshIsNotKept() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Two changes within one tick of the folder's clock would leave the same stamp: a listing
        // made less than settleSeconds after the last change is read again next time.
        let cache = StampedCache(settleSeconds: 3600)
        var calls = 0
        for _ in 0..<3 { _ = cache.value(of: directory.path, kind: "names") { calls += 1; return $0 } }
        #expect(calls == 3 && cache.counts.reused == 0)
    }

    @Test func aFilesValueFollowsItsStamp() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cache = StampedCache(settleSeconds: Self.settle)
        let path = directory.file("a.png")
        try FileSystem.writeAtomically(try png(4, 3), to: path)
        waitUntilSettled()
        func header() throws -> PNGHeader {
            try cache.value(ofFile: path, kind: "header") { try PNGImage.header(of: try FileSystem.read($0)) }
        }
        #expect(try header().width == 4 && header().width == 4)
        #expect(cache.counts == (1, 1))
        // Rewritten in place (not renamed): the file's own stamp changes.
        let file = try #require(FileHandle(forWritingAtPath: path))
        try file.truncate(atOffset: 0)
        try file.write(contentsOf: try png(7, 5))
        try file.close()
        #expect(try header().width == 7)
        // An error is not remembered.
        try FileSystem.writeAtomically([0, 1, 2], to: path)
        #expect(throws: PNGError.self) { try header() }
        try FileSystem.writeAtomically(try png(2, 2), to: path)
        #expect(try header().width == 2)
    }

    @Test func overCapacityTheLeastRecentlyUsedHalfGoes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let cache = StampedCache(capacity: 4, settleSeconds: Self.settle)
        for n in 0..<5 { try FileSystem.writeAtomically([UInt8(n)], to: directory.file("f\(n)")) }
        waitUntilSettled()
        func read(_ n: Int) throws -> [UInt8] { try cache.value(ofFile: directory.file("f\(n)"), kind: "bytes") { try FileSystem.read($0) } }
        for n in 0..<4 { _ = try read(n) }
        _ = try read(0)            // f0 used again: kept
        _ = try read(4)            // the fifth: f1 and f2 go
        let before = cache.counts.computed
        #expect(try read(0) == [0] && read(4) == [4] && cache.counts.computed == before)
        #expect(try read(1) == [1] && cache.counts.computed == before + 1)
    }

    /// The shared cache as the app uses it: a folder quiet for over `settleSeconds` is remembered,
    /// and what a collaborator's app writes there shows at the next read.
    @Test func collaboratorsChangesShowThroughTheSharedCache() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let library = try ProjectLibrary(root: directory.path)
        let project = try library.createProject(name: "P", labels: ["l"])
        for n in 0..<3 { try project.importImage(name: "i\(n).png", png: try png(8, 6, seed: n)) }
        let mask = BinaryMask(width: 8, height: 6, pixels: (0..<48).map { $0 % 2 == 0 })
        try project.accept(label: "l", image: "i0", mask: mask, annotator: "", interactions: 0)
        Thread.sleep(forTimeInterval: StampedCache.shared.settleSeconds + 0.3)
        #expect(project.imageIDs() == ["i0", "i1", "i2"] && project.acceptedImages(label: "l") == ["i0"])
        #expect(try project.imageHeaders().images.map(\.id) == ["i0", "i1", "i2"])
        // The collaborator: another app (here another Project on the same folder) and a hand edit.
        let other = try ProjectLibrary(root: directory.path).project(project.id)
        try other.importImage(name: "i3.png", png: try png(5, 5, seed: 3))
        try other.accept(label: "l", image: "i2", mask: mask, annotator: "", interactions: 0)
        try other.unaccept(label: "l", image: "i0")
        #expect(project.imageIDs() == ["i0", "i1", "i2", "i3"])
        #expect(project.acceptedImages(label: "l") == ["i2"])
        #expect(try project.imageHeaders().images.map(\.header.width) == [8, 8, 8, 5])
        try FileSystem.remove(project.folder + "/images/i1.png")
        #expect(project.imageIDs() == ["i0", "i2", "i3"])
        #expect(project.acceptedImages(label: "l") == Set(project.imageIDs().filter { project.isAccepted(label: "l", image: $0) }))
    }
}
