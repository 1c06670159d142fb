import Testing

@testable import Inference

/// The (column, row) of every pixel set in an R x R channel, row-major order.
func setPixels(_ channel: [Float], resolution r: Int) -> [(Int, Int)] {
    channel.indices.filter { channel[$0] != 0 }.map { ($0 % r, $0 / r) }
}

func point(_ x: Double, _ y: Double) -> ImagePoint { ImagePoint(x: x, y: y) }

@Suite("Interaction encoding")
struct InteractionEncodingTests {
    @Test func clickOnASquareImageLandsOnTheScaledPixel() throws {
        let g = SquareGeometry(width: 256, height: 256, resolution: 128)
        let channels = try encodeInteractions(
            Interactions(positiveClicks: [point(10, 20), point(0, 0), point(255, 255)]), geometry: g)
        let pixels = setPixels(channels.positive, resolution: 128)
        #expect(pixels.map(\.0) == [0, 5, 127] && pixels.map(\.1) == [0, 10, 127])
        #expect(channels.negative.allSatisfy { $0 == 0 } && channels.box.allSatisfy { $0 == 0 })
    }

    @Test func clickOnAWideImageIsShiftedByTheVerticalPadding() throws {
        // 200x100 -> square 200 with 50 padding rows on top; 0.64 network pixels per pixel.
        let g = SquareGeometry(width: 200, height: 100, resolution: 128)
        #expect(g.side == 200 && g.offsetX == 0 && g.offsetY == 50)
        #expect(g.networkPixel(point(0, 0)) == (column: 0, row: 32))
        #expect(g.networkPixel(point(199, 99)) == (column: 127, row: 95))
        #expect(g.networkPixel(point(100, 50)) == (column: 64, row: 64))
        let channels = try encodeInteractions(Interactions(negativeClicks: [point(199, 99)]), geometry: g)
        #expect(channels.negative[95 * 128 + 127] == 1)
        #expect(channels.negative.reduce(0, +) == 1)
    }

    @Test func clickOnATallImageIsShiftedByTheHorizontalPadding() throws {
        let g = SquareGeometry(width: 100, height: 200, resolution: 128)
        #expect(g.offsetX == 50 && g.offsetY == 0)
        #expect(g.networkPixel(point(0, 0)) == (column: 32, row: 0))
        #expect(g.networkPixel(point(99, 199)) == (column: 95, row: 127))
    }

    @Test func smallImagesAreEnlarged() throws {
        // 64x32: every original pixel becomes a 2x2 block; the image sits in rows 32..<96. A
        // pixel's centre lies on the corner shared by its block's four pixels and rounds to
        // the lower-right one; off-centre points pick the quarter they are in.
        let g = SquareGeometry(width: 64, height: 32, resolution: 128)
        #expect(g.networkPixel(point(3, 0)) == (column: 7, row: 33))
        #expect(g.networkPixel(point(2.6, -0.4)) == (column: 6, row: 32))
    }

    @Test func boxFillsTheScaledRectangleWhicheverCornersAreGiven() throws {
        let g = SquareGeometry(width: 256, height: 256, resolution: 128)
        let a = try encodeInteractions(Interactions(boxes: [ImageBox(x0: 10, y0: 20, x1: 30, y1: 40)]), geometry: g)
        let b = try encodeInteractions(Interactions(boxes: [ImageBox(x0: 30, y0: 40, x1: 10, y1: 20)]), geometry: g)
        #expect(a == b)
        let pixels = setPixels(a.box, resolution: 128)
        #expect(pixels.count == 11 * 11)
        #expect(pixels.map(\.0).min() == 5 && pixels.map(\.0).max() == 15)
        #expect(pixels.map(\.1).min() == 10 && pixels.map(\.1).max() == 20)
        #expect(a.positive.allSatisfy { $0 == 0 })
    }

    @Test func aBoxSmallerThanANetworkPixelStillMarksOnePixel() throws {
        let g = SquareGeometry(width: 1024, height: 1024, resolution: 128)
        let channels = try encodeInteractions(Interactions(boxes: [ImageBox(x0: 501, y0: 501, x1: 502, y1: 502)]),
                                              geometry: g)
        #expect(setPixels(channels.box, resolution: 128).map { [$0.0, $0.1] } == [[62, 62]])
    }

    @Test func boxOnAWideImageStaysInsideTheImageRows() throws {
        let g = SquareGeometry(width: 200, height: 100, resolution: 128)
        let whole = try encodeInteractions(Interactions(boxes: [ImageBox(x0: 0, y0: 0, x1: 199, y1: 99)]), geometry: g)
        let rows = Set(setPixels(whole.box, resolution: 128).map(\.1))
        #expect(rows == Set(32...95))
    }

    @Test func thinScribbleIsAConnectedOnePixelLine() throws {
        let g = SquareGeometry(width: 256, height: 256, resolution: 128)
        let straight = try encodeInteractions(
            Interactions(positiveScribbles: [Scribble(points: [point(0, 0), point(255, 0)])]), geometry: g)
        #expect(setPixels(straight.positive, resolution: 128).count == 128)
        #expect(setPixels(straight.positive, resolution: 128).allSatisfy { $0.1 == 0 })

        let bent = try encodeInteractions(
            Interactions(negativeScribbles: [Scribble(points: [point(10, 10), point(100, 60), point(40, 200)])]),
            geometry: g)
        let pixels = setPixels(bent.negative, resolution: 128)
        #expect(bent.positive.allSatisfy { $0 == 0 })
        // Connected (8-neighbourhood) and thin: no 2x2 block fully set.
        var reached: Set<Int> = [pixels[0].1 * 128 + pixels[0].0]
        var frontier = [pixels[0]]
        let all = Set(pixels.map { $0.1 * 128 + $0.0 })
        while let (c, r) = frontier.popLast() {
            for dr in -1...1 {
                for dc in -1...1 {
                    let k = (r + dr) * 128 + (c + dc)
                    if all.contains(k), !reached.contains(k) {
                        reached.insert(k)
                        frontier.append((c + dc, r + dr))
                    }
                }
            }
        }
        #expect(reached.count == pixels.count)
        let blocks = pixels.filter { all.contains($0.1 * 128 + $0.0 + 1) && all.contains(($0.1 + 1) * 128 + $0.0)
            && all.contains(($0.1 + 1) * 128 + $0.0 + 1) }
        #expect(blocks.isEmpty)
        // The vertices themselves are marked.
        for p in [point(10, 10), point(100, 60), point(40, 200)] {
            let (c, r) = g.networkPixel(p)
            #expect(bent.negative[r * 128 + c] == 1)
        }
    }

    @Test func wideScribbleCoversItsWidthAtTheNetworkScale() throws {
        // Width 10 original pixels = 5 network pixels; centre row 63.75 -> rows 62...66.
        let g = SquareGeometry(width: 256, height: 256, resolution: 128)
        let channels = try encodeInteractions(
            Interactions(positiveScribbles: [Scribble(points: [point(40, 128), point(200, 128)], width: 10)]),
            geometry: g)
        let column = (0..<128).filter { channels.positive[$0 * 128 + 60] == 1 }
        #expect(column == [62, 63, 64, 65, 66])
        // A one-point wide scribble is a disc.
        let dot = try encodeInteractions(
            Interactions(positiveScribbles: [Scribble(points: [point(128, 128)], width: 10)]), geometry: g)
        #expect(setPixels(dot.positive, resolution: 128).count == 20)
    }

    @Test func clicksAndScribblesAddAndClampToOne() throws {
        let g = SquareGeometry(width: 128, height: 128, resolution: 128)
        let channels = try encodeInteractions(
            Interactions(positiveClicks: [point(5, 5), point(5, 5)],
                         positiveScribbles: [Scribble(points: [point(0, 5), point(20, 5)]),
                                             Scribble(points: [point(5, 0), point(5, 20)])]),
            geometry: g)
        #expect(channels.positive.max() == 1)
        #expect(channels.positive[5 * 128 + 5] == 1)
        #expect(setPixels(channels.positive, resolution: 128).count == 21 + 21 - 1)
    }

    @Test func pointsOffTheImageAreTypedErrors() {
        let g = SquareGeometry(width: 200, height: 100, resolution: 128)
        #expect(throws: PredictorError.coordinateOutOfRange(interaction: "positive click 2", x: 200, y: 5,
                                                            width: 200, height: 100)) {
            try encodeInteractions(Interactions(positiveClicks: [point(1, 1), point(200, 5)]), geometry: g)
        }
        #expect(throws: PredictorError.coordinateOutOfRange(interaction: "negative click 1", x: 3, y: -0.6,
                                                            width: 200, height: 100)) {
            try encodeInteractions(Interactions(negativeClicks: [point(3, -0.6)]), geometry: g)
        }
        #expect(throws: PredictorError.self) {
            try encodeInteractions(Interactions(boxes: [ImageBox(x0: 0, y0: 0, x1: 10, y1: 100)]), geometry: g)
        }
        #expect(throws: PredictorError.coordinateOutOfRange(interaction: "negative scribble 1", x: 250, y: 2,
                                                            width: 200, height: 100)) {
            try encodeInteractions(
                Interactions(negativeScribbles: [Scribble(points: [point(0, 0), point(250, 2)])]), geometry: g)
        }
        // The last pixel's far half is still on the image.
        #expect(throws: Never.self) {
            try encodeInteractions(Interactions(positiveClicks: [point(199.4, 99.4), point(-0.5, -0.5)]), geometry: g)
        }
    }

    @Test func malformedScribblesAreTypedErrors() {
        let g = SquareGeometry(width: 50, height: 50, resolution: 128)
        #expect(throws: PredictorError.invalidScribble(reason: "positive scribble 1 has no points")) {
            try encodeInteractions(Interactions(positiveScribbles: [Scribble(points: [])]), geometry: g)
        }
        #expect(throws: PredictorError.self) {
            try encodeInteractions(Interactions(positiveScribbles: [Scribble(points: [point(1, 1)], width: 0)]),
                                   geometry: g)
        }
    }

    @Test func errorMessagesSayWhatToDo() {
        let message = PredictorError.coordinateOutOfRange(interaction: "box 1 corner", x: 300, y: 2,
                                                          width: 200, height: 100).description
        #expect(message.contains("x in 0...199") && message.contains("box 1 corner"))
    }
}
