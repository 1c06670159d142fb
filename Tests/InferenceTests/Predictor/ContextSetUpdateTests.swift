import Imaging
import Inference
import Testing

/// `ContextSet.update`: the one way the app's context cache and `propagate` build a label's context.
@Suite struct ContextSetUpdateTests {
    func entry(_ seed: Int) throws -> (image: GreyImage, mask: BinaryMask) {
        let image = try GreyImage(width: 12, height: 10, pixels: (0..<120).map { Float(($0 * (seed + 2)) % 17) })
        return (image, BinaryMask(width: 12, height: 10, pixels: (0..<120).map { ($0 + seed) % 4 == 0 }))
    }

    @Test func buildsInTheGivenOrderPreparesOnlyWhatChangedAndLeavesOutWhatCannotBeRead() throws {
        var set = ContextSet(resolution: 16)
        var loads: [String] = []
        try set.update(to: [("c", 1), ("a", 1), ("b", 1), ("a", 9)], from: [:]) { id in
            loads.append(id)
            return id == "b" ? nil : try entry(Int(id.unicodeScalars.first!.value))
        }
        // Manifest order, not a dictionary's (which differs between processes); a duplicate id counts once.
        #expect(set.ids == ["c", "a"])
        #expect(loads == ["c", "a", "b"])
        loads = []
        // a's mask changed (version 2), c left, d is new; b (same version) is not read again and stays out.
        try set.update(to: [("a", 2), ("b", 1), ("d", 1)], from: ["c": 1, "a": 1, "b": 1]) { id in
            loads.append(id)
            return id == "b" ? nil : try entry(Int(id.unicodeScalars.first!.value))
        }
        #expect(loads == ["a", "d"])
        #expect(set.ids == ["a", "d"])
        #expect(set.preparations == 4)
    }

    @Test func twoSetsBuiltFromTheSameRevisionAreTheSame() throws {
        let wanted: [(id: String, version: Int)] = (0..<20).map { ("img-\($0)", 1) }
        var one = ContextSet(resolution: 16)
        var two = ContextSet(resolution: 16)
        try one.update(to: wanted, from: [:]) { try entry(Int($0.dropFirst(4))!) }
        try two.update(to: wanted, from: [:]) { try entry(Int($0.dropFirst(4))!) }
        #expect(one.ids == wanted.map(\.id) && two.ids == one.ids)
        let target = try #require(one.entry(id: "img-3")).thumbnail
        #expect(try one.select(forThumbnail: target, limit: 5).map(\.id) == two.select(forThumbnail: target, limit: 5).map(\.id))
    }
}
