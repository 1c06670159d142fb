import Imaging
import Inference
@testable import Evaluation

/// A segmenter whose answers are scripted from the ground truth: the exact mask once the image
/// has `clicksNeeded` clicks (or scribbles), or once the context holds `contextNeeded` entries
/// and is used; an empty mask otherwise. It records every request.
final class FakeSegmenter: InteractiveSegmenter {
    struct Request: Equatable {
        var id: String
        var interactions: Int
        var useContext: Bool
        var contextCount: Int
        var hadPrevious: Bool
    }

    let truths: [String: BinaryMask]
    let clicksNeeded: Int
    let contextNeeded: Int?
    private(set) var contextIDs: [String] = []
    private(set) var requests: [Request] = []
    private(set) var resets = 0

    init(examples: [LabeledExample], clicksNeeded: Int, contextNeeded: Int? = nil) {
        truths = Dictionary(uniqueKeysWithValues: examples.map { ($0.id, $0.truth) })
        self.clicksNeeded = clicksNeeded
        self.contextNeeded = contextNeeded
    }

    var contextCount: Int { contextIDs.count }

    func resetContext() {
        contextIDs = []
        resets += 1
    }

    func addToContext(id: String, image: GreyImage, mask: BinaryMask) throws { contextIDs.append(id) }

    func segment(id: String, image: GreyImage, interactions: Interactions, previous: SegmenterOutput?,
                 useContext: Bool) throws -> SegmenterOutput {
        let truth = truths[id]!
        let placed = interactions.positiveClicks.count + interactions.negativeClicks.count
            + interactions.positiveScribbles.count
        requests.append(Request(id: id, interactions: interactions.interactionCount, useContext: useContext,
                                contextCount: contextCount, hadPrevious: previous != nil))
        let fromContext = useContext && contextNeeded.map { contextCount >= $0 } == true
        let exact = fromContext || (placed >= clicksNeeded && !interactions.isEmpty)
        return SegmenterOutput(mask: exact ? truth : BinaryMask(width: truth.width, height: truth.height))
    }
}

/// `count` tiny examples: 12x12 images, each with a differently placed square.
func syntheticTask(count: Int) -> [LabeledExample] {
    (0..<count).map { i in
        let truth = rectangle(width: 12, height: 12, x0: 1 + i % 5, y0: 2 + i % 4, x1: 6 + i % 5, y1: 8 + i % 4)
        let image = try! GreyImage(width: 12, height: 12, pixels: truth.pixels.map { $0 ? 200 : 20 })
        return LabeledExample(id: "img\(i)", image: image, truth: truth)
    }
}
