@testable import Server
import Testing

@Suite struct LatestWinsQueueTests {
    @Test func aNewerRequestReplacesThePendingOneOfItsSession() {
        var queue = LatestWinsQueue<String>()
        guard case .queued = queue.submit("a1", seq: 1, session: "a") else { Issue.record("first request"); return }
        guard case let .replacing(old, seq) = queue.submit("a2", seq: 2, session: "a") else {
            Issue.record("the second request must replace the first")
            return
        }
        #expect(old == "a1" && seq == 1)
        let served1 = queue.next()
        #expect(served1?.job == "a2")
        let served2 = queue.next()
        #expect(served2 == nil && queue.isEmpty)
    }

    @Test func anOlderRequestArrivingLateIsStale() {
        var queue = LatestWinsQueue<String>()
        _ = queue.submit("a5", seq: 5, session: "a")
        guard case .stale = queue.submit("a4", seq: 4, session: "a") else { Issue.record("seq 4 after 5"); return }
        guard case .stale = queue.submit("a5 again", seq: 5, session: "a") else { Issue.record("seq 5 twice"); return }
        let served3 = queue.next()
        #expect(served3?.job == "a5")
        // Another session counts on its own.
        guard case .queued = queue.submit("b1", seq: 1, session: "b") else { Issue.record("other session"); return }
    }

    @Test func sessionsAreServedInTheOrderTheyFirstAsked() {
        var queue = LatestWinsQueue<String>()
        _ = queue.submit("a1", seq: 1, session: "a")
        _ = queue.submit("b1", seq: 1, session: "b")
        _ = queue.submit("a2", seq: 2, session: "a")  // replaces, keeps a's place
        let served4 = queue.next()
        #expect(served4.map { [$0.session, $0.job] } == ["a", "a2"])
        let served5 = queue.next()
        #expect(served5.map { [$0.session, $0.job] } == ["b", "b1"])
    }

    @Test func anAnswerOlderThanOneGivenIsRefused() {
        var queue = LatestWinsQueue<String>()
        let accepted6 = queue.answer(seq: 3, session: "a")
        #expect(accepted6)
        let accepted7 = queue.answer(seq: 2, session: "a")
        #expect(!accepted7)
        let accepted8 = queue.answer(seq: 3, session: "a")
        #expect(accepted8)
        let accepted9 = queue.answer(seq: 1, session: "b")
        #expect(accepted9)
    }

    @Test func withdrawAndForget() {
        var queue = LatestWinsQueue<String>()
        _ = queue.submit("a7", seq: 7, session: "a")
        let withdrawn10 = queue.withdraw(session: "a")
        #expect(withdrawn10 == "a7")
        let served11 = queue.next()
        #expect(queue.isEmpty && served11 == nil)
        _ = queue.answer(seq: 7, session: "a")
        queue.forget(session: "a")
        // A forgotten session starts counting afresh.
        guard case .queued = queue.submit("a1", seq: 1, session: "a") else { Issue.record("after forget"); return }
        let accepted12 = queue.answer(seq: 1, session: "a")
        #expect(accepted12)
        queue.forget(session: "a")
        #expect(queue.isEmpty)
    }
}
