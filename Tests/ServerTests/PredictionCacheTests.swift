import ProjectStore
@testable import Server
import Testing

@Suite struct PredictionCacheTests {
    typealias Key = PredictionCache<Int>.Key
    let label = LabelKey(project: "p", label: "bone")

    func revision(_ versions: [(String, Int, Bool)]) -> ContextRevision {
        var manifest = ContextManifest(label: "bone")
        manifest.entries = versions.map {
            ContextEntry(id: $0.0, version: $0.1, annotator: "", acceptedAt: "", interactions: 0, included: $0.2)
        }
        return ContextRevision(manifest: manifest)
    }

    @Test func aPredictionIsOnlyServedForTheContextItWasMadeWith() {
        var cache = PredictionCache<Int>(capacity: 4)
        let before = Key(label: label, image: "i1", context: revision([("a", 1, true)]))
        cache.insert(7, for: before)
        #expect(cache[before] == 7)
        #expect(cache[Key(label: label, image: "i1", context: revision([("a", 2, true)]))] == nil, "re-accepted mask")
        #expect(cache[Key(label: label, image: "i1", context: revision([("a", 1, false)]))] == nil, "excluded entry")
        #expect(cache[Key(label: label, image: "i1", context: revision([("a", 1, true), ("b", 1, true)]))] == nil)
        #expect(cache[Key(label: label, image: "i2", context: revision([("a", 1, true)]))] == nil, "other image")
        #expect(cache[Key(label: LabelKey(project: "p", label: "other"), image: "i1",
                          context: revision([("a", 1, true)]))] == nil, "other label")
    }

    @Test func theOldestEntriesGoBeyondCapacity() {
        var cache = PredictionCache<Int>(capacity: 2)
        let keys = (0..<3).map { Key(label: label, image: "i\($0)", context: revision([])) }
        for (n, key) in keys.enumerated() { cache.insert(n, for: key) }
        #expect(cache.count == 2)
        #expect(cache[keys[0]] == nil && cache[keys[1]] == 1 && cache[keys[2]] == 2)
        // Replacing a value does not make room twice.
        cache.insert(10, for: keys[1])
        #expect(cache.count == 2 && cache[keys[1]] == 10 && cache[keys[2]] == 2)
    }
}
