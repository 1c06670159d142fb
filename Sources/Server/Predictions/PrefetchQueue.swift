/// Images whose in-context prediction a page will want next, computed when nothing else waits.
/// The newest request is served first and only the last `capacity` are kept: pages move on, and
/// old guesses are the least likely to be opened.
///
/// ```swift
/// var prefetches = PrefetchQueue<String>(capacity: 2)
/// prefetches.add("a"); prefetches.add("b"); prefetches.add("c")
/// prefetches.next()   // "c"; "a" was dropped
/// ```
struct PrefetchQueue<Item: Equatable> {
    let capacity: Int
    private var items: [Item] = []

    init(capacity: Int = 8) {
        precondition(capacity >= 1, "a prefetch queue holds at least one item")
        self.capacity = capacity
    }

    var isEmpty: Bool { items.isEmpty }

    /// Adds `item` as the newest (moving it there if it was already waiting).
    mutating func add(_ item: Item) {
        items.removeAll { $0 == item }
        items.append(item)
        if items.count > capacity { items.removeFirst() }
    }

    /// The newest item, taken out of the queue.
    mutating func next() -> Item? { items.popLast() }
}
