/// Requests of many sessions (open labeling pages), at most one pending per session, served in
/// the order sessions first asked. A newer request of a session replaces its pending one; an
/// older one arriving late (requests travel on several connections) is stale; an answer older
/// than one already given is superseded. So a burst of clicks never builds a queue of stale work,
/// and answers reach each page in seq order.
///
/// Not thread-safe: its owner guards it.
///
/// ```swift
/// var queue = LatestWinsQueue<String>()
/// queue.submit("click 1", seq: 1, session: "page")   // .queued
/// queue.submit("click 2", seq: 2, session: "page")   // .replacing("click 1")
/// queue.next()                                       // ("page", "click 2", seq: 2)
/// ```
struct LatestWinsQueue<Job> {
    enum Admission {
        /// Queued behind the other sessions' requests.
        case queued
        /// Queued in place of this older pending request, which is to be answered superseded.
        case replacing(Job, seq: Int)
        /// Older than a request the session already made: answer it superseded, do not queue it.
        case stale
    }

    private var pending: [String: (job: Job, seq: Int)] = [:]
    private var arrival: [String] = []
    /// Per session, the highest seq submitted and the highest answered; kept while the session
    /// is remembered, so a page that reconnects keeps counting from where it was.
    private var newestSubmitted: [String: Int] = [:]
    private var newestAnswered: [String: Int] = [:]

    var isEmpty: Bool { arrival.isEmpty }

    mutating func submit(_ job: Job, seq: Int, session: String) -> Admission {
        if let newest = newestSubmitted[session], seq <= newest { return .stale }
        newestSubmitted[session] = seq
        let replaced = pending.updateValue((job, seq), forKey: session)
        guard let replaced else {
            arrival.append(session)
            return .queued
        }
        return .replacing(replaced.job, seq: replaced.seq)
    }

    /// The pending request of the session that has waited longest.
    mutating func next() -> (session: String, job: Job, seq: Int)? {
        while !arrival.isEmpty {
            let session = arrival.removeFirst()
            if let entry = pending.removeValue(forKey: session) { return (session, entry.job, entry.seq) }
        }
        return nil
    }

    /// Takes the session's pending request out of the queue (it was answered another way).
    @discardableResult
    mutating func withdraw(session: String) -> Job? {
        guard let entry = pending.removeValue(forKey: session) else { return nil }
        arrival.removeAll { $0 == session }
        return entry.job
    }

    /// Records that request `seq` of the session is being answered with a result. False when a
    /// newer request was answered already: this one is to be answered superseded instead.
    mutating func answer(seq: Int, session: String) -> Bool {
        if let newest = newestAnswered[session], newest > seq { return false }
        newestAnswered[session] = seq
        return true
    }

    /// Forgets the session: its pending request and its counters.
    mutating func forget(session: String) {
        withdraw(session: session)
        newestSubmitted[session] = nil
        newestAnswered[session] = nil
    }
}
