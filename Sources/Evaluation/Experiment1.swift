import Inference

/// The methods of Experiment 1, all from the same weights.
public enum EvaluationMethod: String, Sendable, Codable, CaseIterable {
    /// Context grows with every accepted image; step 0 is the in-context prediction, then
    /// interactions with context.
    case multiverseg
    /// Context always empty: each image segmented on its own (the ScribblePrompt role).
    case interactive
    /// No interaction after the seed: each image is the in-context prediction (bootstrapping
    /// UniverSeg).
    case inContext = "in-context"
    /// From `twoStageMinimumContext` entries on, the in-context prediction refined by the
    /// context-free network; before that, interactive only (SP+UVS).
    case twoStage = "two-stage"
}

/// Settings of Experiment 1 (paper §6, App. E.1).
public struct Experiment1Configuration: Sendable, Codable, Equatable {
    /// Simulations, each with its own random seed image and order (the paper used 200).
    public var seeds: Int = 20
    /// Seed of the first simulation; simulation i uses firstSeed + i.
    public var firstSeed: UInt64 = 0
    /// Images segmented after the seed image.
    public var imagesPerSequence: Int = 18
    public var methods: [EvaluationMethod] = EvaluationMethod.allCases
    public var protocols: [PromptProtocol] = PromptProtocol.allCases
    public var targetDice: Double = 0.9
    public var clickLimit: Int = 20
    public var scribbleStepLimit: Int = 10
    /// Context entries from which the two-stage baseline uses the context (the paper: 5).
    public var twoStageMinimumContext: Int = 5

    public init() {}

    public func stepLimit(_ promptProtocol: PromptProtocol) -> Int {
        promptProtocol == .clicks ? clickLimit : scribbleStepLimit
    }

    /// How `method` segments an image when the context holds `contextSize` entries.
    public func plan(_ method: EvaluationMethod, protocol promptProtocol: PromptProtocol, contextSize: Int) -> SegmentationPlan {
        let limit = stepLimit(promptProtocol)
        switch method {
        case .multiverseg:
            return SegmentationPlan(predictFromContextFirst: true, contextDuringInteraction: true, stepLimit: limit, targetDice: targetDice)
        case .interactive:
            return SegmentationPlan(predictFromContextFirst: false, contextDuringInteraction: false, stepLimit: limit, targetDice: targetDice)
        case .inContext:
            return SegmentationPlan(predictFromContextFirst: true, contextDuringInteraction: true, stepLimit: 0, targetDice: targetDice)
        case .twoStage:
            return SegmentationPlan(predictFromContextFirst: contextSize >= twoStageMinimumContext,
                                    contextDuringInteraction: false, stepLimit: limit, targetDice: targetDice)
        }
    }

    /// Whether accepted images join the context.
    public func growsContext(_ method: EvaluationMethod) -> Bool { method != .interactive }
}

/// One method's sequence of images in one simulation.
public struct MethodSequence: Sendable, Codable, Equatable {
    public var method: EvaluationMethod
    /// In segmentation order; example number n is `images[n - 1]`.
    public var images: [ImageOutcome]

    public var totalSteps: Int { images.reduce(0) { $0 + $1.steps } }
}

/// One simulation with one protocol: the seed image, then every method's sequence.
public struct SimulationRun: Sendable, Codable, Equatable {
    public var seed: UInt64
    public var promptProtocol: PromptProtocol
    /// The seed image, segmented interactively without context (shared by all methods).
    public var seedImage: ImageOutcome
    public var sequences: [MethodSequence]
}

/// Experiment 1: segmenting a whole task image after image.
///
/// ```swift
/// let runs = try Experiment1(configuration: config).run(examples: task, workers: 2,
///                                                     makeSegmenter: { try makeSegmenter() })
/// let summary = Experiment1Summary(runs: runs, configuration: config)
/// ```
public struct Experiment1: Sendable {
    public let configuration: Experiment1Configuration

    public init(configuration: Experiment1Configuration) {
        self.configuration = configuration
    }

    /// Progress units of a run: one per image segmented (seed images included).
    public func progressUnits(imageCount: Int) -> Int {
        let images = min(configuration.imagesPerSequence, max(0, imageCount - 1))
        return configuration.seeds * configuration.protocols.count * (1 + configuration.methods.count * images)
    }

    /// The seed image and the images of simulation `seed`, in order: a seeded shuffle.
    public func order(seed: UInt64, count: Int) -> (seed: Int, sequence: [Int]) {
        var generator = SeededGenerator(seed: SeededGenerator.seed(seed, 0x5EED))
        let shuffled = Array(0..<count).shuffled(using: &generator)
        return (shuffled[0], Array(shuffled.dropFirst().prefix(configuration.imagesPerSequence)))
    }

    /// Runs every simulation (seeds in parallel over `workers`, each with its own segmenter).
    public func run(examples: [LabeledExample], workers: Int, progress: ProgressReporter? = nil,
                    makeSegmenter: () throws -> InteractiveSegmenter) throws -> [SimulationRun] {
        guard examples.count >= 2 else {
            throw EvaluationError.tooFewExamples(found: examples.count, needed: 2, what: "experiment 1")
        }
        let perSeed = try ParallelWorkers.map(count: configuration.seeds, workers: workers, makeState: makeSegmenter) {
            segmenter, index in
            try simulate(seed: configuration.firstSeed + UInt64(index), examples: examples, segmenter: segmenter,
                         progress: progress)
        }
        return perSeed.flatMap { $0 }
    }

    /// One simulation, every protocol and method.
    public func simulate(seed: UInt64, examples: [LabeledExample], segmenter: InteractiveSegmenter,
                         progress: ProgressReporter? = nil) throws -> [SimulationRun] {
        let (seedIndex, order) = order(seed: seed, count: examples.count)
        let seedExample = examples[seedIndex]
        var runs: [SimulationRun] = []
        for promptProtocol in configuration.protocols {
            let user = SimulatedUser(protocol: promptProtocol)
            segmenter.resetContext()
            let seedPlan = configuration.plan(.interactive, protocol: promptProtocol, contextSize: 0)
            let (seedOutcome, seedMask) = try seedPlan.run(seedExample, segmenter: segmenter, user: user)
            progress?.advance()
            var sequences: [MethodSequence] = []
            for method in configuration.methods {
                segmenter.resetContext()
                if configuration.growsContext(method) {
                    try segmenter.addToContext(id: seedExample.id, image: seedExample.image, mask: seedMask)
                }
                var outcomes: [ImageOutcome] = []
                for index in order {
                    let example = examples[index]
                    let plan = configuration.plan(method, protocol: promptProtocol, contextSize: segmenter.contextCount)
                    let (outcome, mask) = try plan.run(example, segmenter: segmenter, user: user)
                    outcomes.append(outcome)
                    if configuration.growsContext(method) {
                        try segmenter.addToContext(id: example.id, image: example.image, mask: mask)
                    }
                    progress?.advance()
                }
                sequences.append(MethodSequence(method: method, images: outcomes))
            }
            runs.append(SimulationRun(seed: seed, promptProtocol: promptProtocol, seedImage: seedOutcome,
                                      sequences: sequences))
        }
        return runs
    }
}
