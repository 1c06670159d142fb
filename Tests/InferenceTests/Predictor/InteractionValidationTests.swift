@testable import Inference
import Testing

/// `Interactions.validate` is the check `encodeInteractions` makes, without a network grid.
@Suite struct InteractionValidationTests {
    func point(_ x: Double, _ y: Double) -> ImagePoint { ImagePoint(x: x, y: y) }

    func error(_ body: () throws -> Void) -> PredictorError? {
        do {
            try body()
            return nil
        } catch {
            return error as? PredictorError
        }
    }

    @Test func reportsWhatEncodingWouldReport() {
        let cases: [Interactions] = [
            Interactions(positiveClicks: [point(1, 1), point(200, 5)]),
            Interactions(negativeClicks: [point(3, -0.6)], boxes: [ImageBox(x0: 0, y0: 0, x1: 10, y1: 100)]),
            Interactions(boxes: [ImageBox(x0: 0, y0: 0, x1: 10, y1: 100)]),
            Interactions(positiveScribbles: [Scribble(points: [])], negativeScribbles: [Scribble(points: [point(250, 2)])]),
            Interactions(positiveScribbles: [Scribble(points: [point(1, 1)], width: .nan)]),
            Interactions(negativeScribbles: [Scribble(points: [point(0, 0), point(250, 2)])]),
            Interactions(positiveClicks: [point(199.4, 99.4), point(-0.5, -0.5)], boxes: [ImageBox(x0: 0, y0: 0, x1: 9, y1: 9)]),
        ]
        for interactions in cases {
            let geometry = SquareGeometry(width: 200, height: 100, resolution: 128)
            let encoding = error { _ = try encodeInteractions(interactions, geometry: geometry) }
            let validation = error { try interactions.validate(imageWidth: 200, height: 100) }
            #expect(encoding == validation, "\(interactions)")
        }
    }

    @Test func worksForAnyImageShape() throws {
        try Interactions(positiveClicks: [point(2, 999)]).validate(imageWidth: 3, height: 1000)
        #expect(throws: PredictorError.coordinateOutOfRange(interaction: "positive click 1", x: 3, y: 0, width: 3, height: 1000)) {
            try Interactions(positiveClicks: [point(3, 0)]).validate(imageWidth: 3, height: 1000)
        }
        #expect(point(-0.5, 0).isOnImage(width: 1, height: 1) && !point(0.5, 0).isOnImage(width: 1, height: 1))
    }
}
