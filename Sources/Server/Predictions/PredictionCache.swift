import ProjectStore

/// In-context predictions without interactions ("what the network says before the user does
/// anything"), kept by label, image and context revision, so a changed context set (here or by
/// a collaborator) never serves a stale one. The oldest entries go first beyond `capacity`.
///
/// Not thread-safe: its owner guards it.
///
/// ```swift
/// var cache = PredictionCache<Int>(capacity: 64)
/// let key = PredictionCache<Int>.Key(label: LabelKey(project, "bone"), image: "knee-07",
///                                    context: project.contextRevision(label: "bone"))
/// cache.insert(1, for: key)
/// cache[key]   // 1
/// ```
struct PredictionCache<Value> {
    struct Key: Hashable {
        let label: LabelKey
        let image: String
        let context: ContextRevision
    }

    let capacity: Int
    private var values: [Key: Value] = [:]
    private var order: [Key] = []

    init(capacity: Int = 64) {
        precondition(capacity >= 1, "a prediction cache holds at least one entry")
        self.capacity = capacity
    }

    var count: Int { values.count }

    subscript(key: Key) -> Value? { values[key] }

    /// Stores `value` for `key`, evicting the oldest entries beyond `capacity`.
    mutating func insert(_ value: Value, for key: Key) {
        if values.updateValue(value, forKey: key) == nil { order.append(key) }
        while order.count > capacity { values[order.removeFirst()] = nil }
    }
}
