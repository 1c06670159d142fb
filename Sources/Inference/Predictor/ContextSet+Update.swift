import Imaging

extension ContextSet {
    /// Brings the set from the entries it was built for (`have`: id -> mask version) to `wanted`
    /// (ids and versions, in the order the label's manifest lists them): entries no longer wanted
    /// are removed, new ones and those whose mask version changed are prepared (in `wanted`'s
    /// order, so every process that builds the same context gets the same entry order, and so the
    /// same network input). `load` gives an entry's image and mask, or nil to leave it out (a
    /// file gone missing or broken on disk). The one way the app's context cache and `propagate`
    /// build a label's context.
    ///
    /// ```swift
    /// var set = predictor.makeContextSet()
    /// try set.update(to: [("a", 1), ("b", 2)], from: [:]) { id in (images[id]!, masks[id]!) }
    /// ```
    public mutating func update(
        to wanted: [(id: String, version: Int)], from have: [String: Int],
        load: (String) throws -> (image: GreyImage, mask: BinaryMask)?
    ) throws {
        var wantedVersions: [String: Int] = [:]
        for (id, version) in wanted where wantedVersions[id] == nil { wantedVersions[id] = version }
        // Removing is order-free: the set keeps its entries' order by insertion, not by removal.
        for id in have.keys where wantedVersions[id] == nil { remove(id: id) }
        var seen = Set<String>()
        for (id, version) in wanted where seen.insert(id).inserted && have[id] != version {
            guard let data = try load(id) else {
                remove(id: id)
                continue
            }
            try insert(id: id, image: data.image, mask: data.mask)
        }
    }
}
