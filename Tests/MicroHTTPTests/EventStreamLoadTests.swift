import Foundation
import MicroHTTP
import TestSupport
import Testing

@Suite struct EventStreamLoadTests {
    /// A closed browser tab must give back its connection thread at once, not at the next
    /// keep-alive write (15 s, and a second one to see the reset).
    @Test func aClientThatDisconnectsEndsItsStreamWithinASecond() throws {
        let events = EventStream(keepAlive: 60)
        let fixture = try ServerFixture { router in
            router.add("GET", "/api/events") { _, _ in events.response }
        }
        let fd = try HTTPTestClient.open(port: fixture.port, target: "/api/events")
        _ = events.send(data: "hello")
        _ = try HTTPTestClient.read(fd, until: "hello")
        close(fd)
        let deadline = Date(timeIntervalSinceNow: 5)
        while !events.isClosed && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(events.isClosed)
    }

    @Test func aClientThatStopsReadingIsCutOffNotBufferedWithoutEnd() {
        let events = EventStream(maxPendingBytes: 10_000)
        let event = String(repeating: "x", count: 1000)
        var sent = 0
        while events.send(data: event) { sent += 1 }
        #expect(sent == 9 && events.isClosed)
        #expect(events.read(maxBytes: 1 << 20) == nil)
    }
}
