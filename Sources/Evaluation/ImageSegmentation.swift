import Imaging
import Inference

/// How one image is segmented; the methods of Experiment 1 are combinations of these.
public struct SegmentationPlan: Sendable, Equatable {
    /// Start with a prediction from the context alone, before any interaction (step 0).
    public var predictFromContextFirst: Bool
    /// Interaction steps condition on the context (false: the context-free network refines).
    public var contextDuringInteraction: Bool
    /// At most this many interaction steps (0: no interaction at all).
    public var stepLimit: Int
    /// Stop as soon as Dice reaches this.
    public var targetDice: Double

    public init(predictFromContextFirst: Bool, contextDuringInteraction: Bool, stepLimit: Int, targetDice: Double = 0.9) {
        self.predictFromContextFirst = predictFromContextFirst
        self.contextDuringInteraction = contextDuringInteraction
        self.stepLimit = stepLimit
        self.targetDice = targetDice
    }
}

/// What happened on one image.
public struct ImageOutcome: Sendable, Codable, Equatable {
    public var id: String
    /// Interaction steps taken: clicks for the click protocol, scribble steps for scribbles
    /// (the paper's NoI). Equals the step limit when the target was not reached.
    public var steps: Int
    /// Clicks + scribbles placed (the first scribble step places two).
    public var interactions: Int
    /// Dice of the accepted (last) prediction.
    public var dice: Double
    /// HD95 in pixels of the accepted prediction; nil when the prediction is empty.
    public var hd95: Double?
    public var reachedTarget: Bool
    /// Dice after each prediction, step 0 first when there was one.
    public var diceByStep: [Double]
    /// Context entries available while segmenting this image.
    public var contextSize: Int
}

extension SegmentationPlan {
    /// Segments `example` with simulated `user` interactions until Dice >= target or the step
    /// limit, and returns the outcome with the accepted mask.
    ///
    /// ```swift
    /// let plan = SegmentationPlan(predictFromContextFirst: true, contextDuringInteraction: true, stepLimit: 20)
    /// let (outcome, mask) = try plan.run(example, segmenter: segmenter, user: SimulatedUser(protocol: .clicks))
    /// ```
    public func run(_ example: LabeledExample, segmenter: InteractiveSegmenter, user: SimulatedUser) throws
        -> (outcome: ImageOutcome, mask: BinaryMask)
    {
        var interactions = Interactions()
        var previous: SegmenterOutput?
        var diceByStep: [Double] = []
        var steps = 0
        let contextSize = segmenter.contextCount

        func predict(useContext: Bool) throws {
            let output = try segmenter.segment(id: example.id, image: example.image, interactions: interactions,
                                               previous: previous, useContext: useContext)
            precondition(output.mask.width == example.truth.width && output.mask.height == example.truth.height,
                         "segmenter returned a mask of another size")
            previous = output
            diceByStep.append(Metrics.dice(output.mask, example.truth))
        }

        if predictFromContextFirst && contextSize > 0 { try predict(useContext: true) }
        while steps < stepLimit && (diceByStep.last ?? 0) < targetDice {
            guard let step = user.step(truth: example.truth, prediction: previous?.mask) else { break }
            interactions.append(step)
            steps += 1
            try predict(useContext: contextDuringInteraction)
        }
        let mask = previous?.mask ?? BinaryMask(width: example.truth.width, height: example.truth.height)
        let dice = diceByStep.last ?? Metrics.dice(mask, example.truth)
        let outcome = ImageOutcome(
            id: example.id, steps: steps, interactions: interactions.interactionCount, dice: dice,
            hd95: Metrics.hd95(mask, example.truth), reachedTarget: dice >= targetDice,
            diceByStep: diceByStep, contextSize: contextSize)
        return (outcome, mask)
    }
}
