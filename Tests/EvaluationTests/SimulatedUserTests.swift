import Inference
import Testing
@testable import Evaluation

@Suite struct DistanceTransformTests {
    @Test func distancesInsideARectangleCountTheImageEdgeAsBackground() {
        // 5 wide x 3 high, all foreground: the middle row is 2 from the top/bottom edge outside.
        let d = DistanceTransform.distanceToBackground(rectangle(width: 5, height: 3, x0: 0, y0: 0, x1: 5, y1: 3))
        #expect(d == [1, 1, 1, 1, 1,
                      1, 2, 2, 2, 1,
                      1, 1, 1, 1, 1])
    }

    @Test func squaredDistanceToOneSiteIsEuclidean() {
        var sites = [Bool](repeating: false, count: 16)
        sites[0] = true
        let d = DistanceTransform.squaredDistance(toSites: sites, width: 4, height: 4)
        for y in 0..<4 { for x in 0..<4 { #expect(d[y * 4 + x] == Float(x * x + y * y)) } }
        #expect(DistanceTransform.squaredDistance(toSites: [false, false], width: 2, height: 1).allSatisfy { $0 == .infinity })
    }
}

@Suite struct ComponentTests {
    @Test func diagonalNeighboursJoinAndTheLargestWins() {
        let m = mask(["#.....",
                      ".#..##",
                      "....##",
                      "#...##"])
        let parts = ConnectedComponents(m)
        #expect(parts.count == 3)
        #expect(parts.sizes == [2, 6, 1])
        #expect(parts.largest == mask(["......", "....##", "....##", "....##"]))
    }
}

@Suite struct SimulatedUserTests {
    @Test func firstClickIsTheDistanceTransformMaximumOfTheLargestComponent() throws {
        // A small 3x3 blob and a large 7x5 block: the click goes to the block's centre.
        var truth = rectangle(width: 20, height: 12, x0: 10, y0: 4, x1: 17, y1: 9)
        for y in 1..<4 { for x in 1..<4 { truth[x, y] = true } }
        let step = try #require(SimulatedUser(protocol: .clicks).step(truth: truth, prediction: nil))
        #expect(step.positiveClicks == [ImagePoint(x: 13, y: 6)])
        #expect(step.negativeClicks.isEmpty && step.positiveScribbles.isEmpty)
        let distance = DistanceTransform.distanceToBackground(truth)
        #expect(distance[6 * 20 + 13] == distance.max())
    }

    @Test func correctionClickSignFollowsTheLargestError() throws {
        let truth = rectangle(width: 16, height: 16, x0: 2, y0: 2, x1: 10, y1: 10)
        // Prediction misses the right half of the square: a positive correction inside the miss.
        let missing = rectangle(width: 16, height: 16, x0: 2, y0: 2, x1: 6, y1: 10)
        let fix = try #require(SimulatedUser(protocol: .clicks).step(truth: truth, prediction: missing))
        let click = try #require(fix.positiveClicks.first)
        #expect(fix.negativeClicks.isEmpty)
        #expect(truth[Int(click.x), Int(click.y)] && !missing[Int(click.x), Int(click.y)])

        // Prediction adds a large blob outside the object: a negative correction on the blob.
        var extra = truth
        for y in 11..<16 { for x in 9..<16 { extra[x, y] = true } }
        let undo = try #require(SimulatedUser(protocol: .clicks).step(truth: truth, prediction: extra))
        let negative = try #require(undo.negativeClicks.first)
        #expect(undo.positiveClicks.isEmpty)
        #expect(!truth[Int(negative.x), Int(negative.y)] && extra[Int(negative.x), Int(negative.y)])
        #expect(negative == ImagePoint(x: 12, y: 13))
    }

    @Test func exactPredictionNeedsNoCorrection() {
        let truth = rectangle(width: 8, height: 8, x0: 1, y0: 1, x1: 5, y1: 5)
        #expect(SimulatedUser(protocol: .clicks).step(truth: truth, prediction: truth) == nil)
        #expect(SimulatedUser(protocol: .scribbles).step(truth: truth, prediction: truth) == nil)
    }

    @Test func firstScribblesLieInsideTheObjectAndTheBackground() throws {
        // An L-shaped object.
        var truth = rectangle(width: 24, height: 24, x0: 4, y0: 4, x1: 9, y1: 20)
        for y in 15..<20 { for x in 4..<20 { truth[x, y] = true } }
        let step = try #require(SimulatedUser(protocol: .scribbles).step(truth: truth, prediction: nil))
        let positive = try #require(step.positiveScribbles.first).points
        let negative = try #require(step.negativeScribbles.first).points
        #expect(step.positiveScribbles.count == 1 && step.negativeScribbles.count == 1 && step.positiveClicks.isEmpty)
        #expect(positive.count >= 15, "the centerline runs along the L, got \(positive.count) points")
        #expect(positive.allSatisfy { truth[Int($0.x), Int($0.y)] })
        #expect(negative.count >= 10)
        #expect(negative.allSatisfy { !truth[Int($0.x), Int($0.y)] })
        // Consecutive points are neighbouring pixels: a connected polyline.
        for (a, b) in zip(positive, positive.dropFirst()) { #expect(abs(a.x - b.x) <= 1 && abs(a.y - b.y) <= 1) }
    }

    @Test func correctionScribbleLiesInTheMissedRegion() throws {
        let truth = rectangle(width: 20, height: 20, x0: 2, y0: 2, x1: 18, y1: 12)
        let partial = rectangle(width: 20, height: 20, x0: 2, y0: 2, x1: 8, y1: 12)
        let step = try #require(SimulatedUser(protocol: .scribbles).step(truth: truth, prediction: partial))
        let points = try #require(step.positiveScribbles.first).points
        #expect(step.negativeScribbles.isEmpty)
        #expect(!points.isEmpty)
        #expect(points.allSatisfy { truth[Int($0.x), Int($0.y)] && !partial[Int($0.x), Int($0.y)] })
    }

    @Test func aTinyRegionThatThinsAwayStillGetsAScribble() {
        let square = rectangle(width: 6, height: 6, x0: 2, y0: 2, x1: 4, y1: 4)
        let line = Skeleton.centerline(of: square)
        #expect(line.count >= 1)
        #expect(line.allSatisfy { square[$0.x, $0.y] })
    }
}

@Suite struct SkeletonTests {
    @Test func aThickBarThinsToItsMiddleRow() {
        // A 5-pixel-high bar, away from the border: the skeleton is (mostly) row 6, one pixel thick.
        let bar = rectangle(width: 30, height: 13, x0: 3, y0: 4, x1: 27, y1: 9)
        let skeleton = Skeleton.thin(bar)
        #expect(skeleton.foregroundCount >= 15)
        #expect(skeleton.pixels.indices.filter { skeleton.pixels[$0] }.allSatisfy { $0 / 30 == 6 })
        let line = Skeleton.centerline(of: bar)
        #expect(line.count == skeleton.foregroundCount)
        #expect(line.allSatisfy { $0.y == 6 })
    }
}
