import Foundation
import Propagation
import Synchronization
import Testing

@Suite struct PropagationProgressTests {
    @Test func plainLinesInALogOneRedrawnLineOnATerminal() {
        let plain = Mutex<[String]>([])
        let log = PropagationProgress(title: "propagate head (shard 1/4)", total: 3, interactive: false, plainInterval: 3600) { text in
            plain.withLock { $0.append(text) }
        }
        for done in 1...3 { log.update(done: done) }
        log.finish()
        // The first line, then nothing until the last (the interval is long), each a whole line.
        let lines = plain.withLock { $0 }
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
        #expect(lines[0].hasPrefix("propagate head (shard 1/4): 1/3 images, ") && lines[0].contains("images/s, ETA "))
        #expect(lines[1].hasPrefix("propagate head (shard 1/4): 3/3 images, ") && lines[1].contains(", took "))

        let terminal = Mutex<[String]>([])
        let bar = PropagationProgress(title: "p", total: 2, interactive: true) { text in terminal.withLock { $0.append(text) } }
        bar.update(done: 1)
        bar.update(done: 2)
        bar.finish()
        let drawn = terminal.withLock { $0 }
        #expect(drawn.first?.hasPrefix("\rp: 1/2 images") == true)
        #expect(drawn.dropLast().allSatisfy { $0.hasPrefix("\r") && !$0.contains("\n") })
        #expect(drawn.last == "\n")
    }
}
