import Foundation
import MicroHTTP
import TestSupport
import Testing

/// The slowloris guard: its bookkeeping with a hand-driven clock, and the real server holding up
/// while half-sent requests pile up.
@Suite struct ConnectionGuardTests {
    let start = Date(timeIntervalSince1970: 1_000_000)
    /// 127.0.0.1 and 10.0.0.7 in network byte order.
    let loopback = UInt32(0x7F00_0001).bigEndian
    let remote = UInt32(0x0A00_0007).bigEndian

    @Test func aNewConnectionBeyondTheWaitingCapClosesTheOneWaitingLongest() {
        let guarding = ConnectionGuard(maxWaiting: 2, headerTimeout: 100, perClient: 10)
        #expect(guarding.opened(1, fd: 11, client: loopback, now: start).isEmpty)
        #expect(guarding.opened(2, fd: 12, client: loopback, now: start + 1).isEmpty)
        #expect(guarding.opened(3, fd: 13, client: loopback, now: start + 2) == [11])
        #expect(guarding.waitingCount == 2)
        // A connection whose request is being answered does not wait, so it is never closed.
        guarding.headArrived(2)
        guarding.answering(2)
        #expect(guarding.opened(4, fd: 14, client: loopback, now: start + 3).isEmpty)
        #expect(guarding.opened(5, fd: 15, client: loopback, now: start + 4) == [13])
    }

    @Test func aRequestHeadMustArriveInTime() {
        let guarding = ConnectionGuard(maxWaiting: 10, headerTimeout: 10, perClient: 10)
        _ = guarding.opened(1, fd: 11, client: loopback, now: start)
        _ = guarding.opened(2, fd: 12, client: loopback, now: start)
        guarding.headArrived(2) // its body is still coming: the head deadline no longer applies
        #expect(guarding.opened(3, fd: 13, client: loopback, now: start + 5).isEmpty)
        #expect(guarding.opened(4, fd: 14, client: loopback, now: start + 11) == [11])
        // A kept-alive connection waits for its next head from the end of the previous response.
        guarding.answering(3)
        guarding.finished(3, now: start + 20)
        #expect(!guarding.opened(5, fd: 15, client: loopback, now: start + 25).contains(13))
        #expect(guarding.opened(6, fd: 16, client: loopback, now: start + 31).contains(13))
        guarding.closed(3)
    }

    @Test func oneRemoteClientHoldsAtMostItsShareButLoopbackIsBoundOnlyByTheCap() {
        let guarding = ConnectionGuard(maxWaiting: 100, headerTimeout: 100, perClient: 2)
        #expect(guarding.opened(1, fd: 11, client: remote, now: start).isEmpty)
        #expect(guarding.opened(2, fd: 12, client: remote, now: start).isEmpty)
        #expect(guarding.opened(3, fd: 13, client: remote, now: start) == [13])
        guarding.closed(1)
        #expect(guarding.opened(4, fd: 14, client: remote, now: start).isEmpty)
        for id in UInt(10)..<20 { #expect(guarding.opened(id, fd: Int32(id), client: loopback, now: start).isEmpty) }
    }

    @Test func halfSentRequestsDoNotStopTheServerAnswering() throws {
        var router = Router()
        router.add("GET", "/api/ping") { _, _ in .json(["pong": true]) }
        let server = try HTTPServer(configuration: .init(port: 0, connectionLimit: 16), router: router)
        defer { server.stop() }
        // Twice the connection limit of half-sent heads, as a slowloris client holds them.
        var held: [Int32] = []
        defer { held.forEach { close($0) } }
        for _ in 0..<32 {
            guard let fd = try? HTTPTestClient.open(port: server.port, target: "/api/ping", timeout: 5, complete: false) else { continue }
            held.append(fd)
        }
        // The server closes the connections it evicted on its own threads: wait for that (a
        // condition, not a time) before the next request, which must then get a free connection.
        // On a loaded machine (the whole suite runs in parallel) that can take a while.
        var rounds = 0
        while server.connectionGuard.openCount > server.connectionGuard.maxWaiting, rounds < 6000 {
            usleep(10_000)
            rounds += 1
        }
        #expect(server.connectionGuard.waitingCount <= server.connectionGuard.maxWaiting)
        // libmicrohttpd frees a closed connection's slot on its polling thread, just after telling us;
        // a client that finds the server full tries again, as browsers do. Without the guard every
        // try fails: the half-sent requests hold all 16 connections for the 120 s idle timeout.
        var answer: RawHTTPResponse?
        for _ in 0..<5 where answer == nil {
            answer = try? HTTPTestClient.request(port: server.port, target: "/api/ping", timeout: 10)
            if answer == nil { usleep(200_000) }
        }
        #expect(answer?.status == 200, "\(String(describing: answer?.status)) \(answer?.text ?? "no answer")")
    }
}
