@testable import Server
import Testing

@Suite struct PrefetchQueueTests {
    @Test func newestFirstWithinCapacity() {
        var queue = PrefetchQueue<String>(capacity: 2)
        queue.add("a")
        queue.add("b")
        queue.add("c")
        let served1 = queue.next()
        #expect(served1 == "c")
        let served2 = queue.next()
        #expect(served2 == "b")
        let served3 = queue.next()
        #expect(served3 == nil && queue.isEmpty)
    }

    @Test func addingAWaitingItemAgainMovesItToTheFront() {
        var queue = PrefetchQueue<String>(capacity: 3)
        queue.add("a")
        queue.add("b")
        queue.add("a")
        let served4 = queue.next()
        #expect(served4 == "a")
        let served5 = queue.next()
        #expect(served5 == "b")
        let served6 = queue.next()
        #expect(served6 == nil)
    }
}
