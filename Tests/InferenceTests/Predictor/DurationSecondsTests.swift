import Inference
import Testing

/// `Duration.inSeconds` / `inMilliseconds`: the one conversion of timings to numbers.
@Suite struct DurationSecondsTests {
    @Test func keepsTheSubSecondPartAndWholeSeconds() {
        #expect(Duration.milliseconds(1500).inSeconds == 1.5)
        #expect(Duration.microseconds(2500).inMilliseconds == 2.5)
        #expect(Duration.seconds(3).inMilliseconds == 3000)
        #expect(abs(Duration.nanoseconds(1).inSeconds - 1e-9) < 1e-21)
        #expect(Duration.zero.inSeconds == 0)
        // Negative durations keep their sign in both parts (components are both negative).
        #expect(Duration.milliseconds(-1500).inSeconds == -1.5)
    }
}
