import Imaging
import Testing
@testable import Evaluation

@Suite struct MetricsTests {
    @Test func diceOfOverlappingSquares() {
        // 4x4 = 16 pixels each, overlapping in 2x4 = 8: Dice = 16 / 32.
        let a = rectangle(width: 10, height: 10, x0: 0, y0: 0, x1: 4, y1: 4)
        let b = rectangle(width: 10, height: 10, x0: 2, y0: 0, x1: 6, y1: 4)
        #expect(Metrics.dice(a, b) == 0.5)
        #expect(Metrics.dice(a, a) == 1)
        #expect(Metrics.dice(a, BinaryMask(width: 10, height: 10)) == 0)
        #expect(Metrics.dice(BinaryMask(width: 3, height: 3), BinaryMask(width: 3, height: 3)) == 1)
    }

    @Test func hd95OfShiftedSquaresIsTheShift() throws {
        // Two 5x5 squares, one shifted 3 to the right: every boundary pixel of one is at most 3
        // from the other's boundary, and the left/right columns are exactly 3 away.
        let a = rectangle(width: 20, height: 12, x0: 2, y0: 2, x1: 7, y1: 7)
        let b = rectangle(width: 20, height: 12, x0: 5, y0: 2, x1: 10, y1: 7)
        // Boundary of a: 16 pixels. Distances to b's boundary: columns x=2 (5 px) -> 3, x=3..6 on
        // top/bottom rows: x=3 -> 2, x=4 -> 1, x=5,6 -> 0; x=6 column (3 inner px) -> 1.
        // Sorted: 0 x4, 1 x5, 2 x2, 3 x5 -> the 95th percentile is 3.
        #expect(try #require(Metrics.hd95(a, b)) == 3)
        #expect(Metrics.hd95(a, a) == 0)
        #expect(Metrics.hd95(a, BinaryMask(width: 20, height: 12)) == nil)
        #expect(Metrics.hd95(BinaryMask(width: 4, height: 4), BinaryMask(width: 4, height: 4)) == 0)
    }

    @Test func hd95IgnoresTheFarthestFivePercent() throws {
        // A 10x10 square versus itself plus one far pixel: a's boundary is 36 px at distance 0,
        // b's boundary adds one pixel 8 away, so b->a has 37 distances, 36 zeros and one 8;
        // the 95th percentile (numpy linear) is at position 34.2, still 0.
        let a = rectangle(width: 30, height: 12, x0: 1, y0: 1, x1: 11, y1: 11)
        var b = a
        b[18, 5] = true
        #expect(try #require(Metrics.hd95(a, b)) == 0)
        #expect(Metrics.percentile([0, 10], 95) == 9.5)
        #expect(Metrics.percentile([1, 2, 3, 4], 50) == 2.5)
    }

    @Test func bootstrapIsDeterministicAndBracketsTheMean() {
        let values: [Double] = [3, 4, 5, 4, 6, 2]
        let e = Statistics.bootstrap(values, seed: 7)
        #expect(e.mean == 4)
        #expect(e.low < 4 && e.high > 4 && e.low >= 2 && e.high <= 6)
        #expect(Statistics.bootstrap(values, seed: 7) == e)
        #expect(Statistics.bootstrap([5]) == Estimate(mean: 5, low: 5, high: 5, count: 1))
    }
}
