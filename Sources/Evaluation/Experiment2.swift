import Inference

/// Settings of Experiment 2 (paper §7, App. F): Dice against the size of a ground-truth context.
public struct Experiment2Configuration: Sendable, Codable, Equatable {
    public var contextSizes: [Int] = [1, 2, 4, 8, 16, 32, 64]
    /// Interaction steps after the in-context prediction: Dice is reported after 0...steps.
    public var steps: Int = 3
    public var protocols: [PromptProtocol] = PromptProtocol.allCases
    /// Target images drawn from the task, each with its own random context of every size.
    public var targets: Int = 10
    /// Random context draws per target.
    public var draws: Int = 1
    public var firstSeed: UInt64 = 0

    public init() {}

    /// The sizes that fit a task of `count` images (the target is never its own context).
    public func usableSizes(imageCount count: Int) -> [Int] { contextSizes.filter { $0 >= 1 && $0 <= count - 1 } }
}

/// Dice after each step for one target, context size and protocol.
public struct ContextTrial: Sendable, Codable, Equatable {
    public var targetID: String
    public var draw: Int
    public var contextSize: Int
    public var promptProtocol: PromptProtocol
    /// Step 0 (in-context, no interaction) first.
    public var diceByStep: [Double]
}

/// One curve point: mean Dice at a context size after a number of steps.
public struct ContextCurvePoint: Sendable, Codable, Equatable {
    public var contextSize: Int
    public var promptProtocol: PromptProtocol
    public var step: Int
    public var dice: Estimate
}

/// Experiment 2: in-context segmentation with a ground-truth context of growing size, with and
/// without interactions.
///
/// ```swift
/// let trials = try Experiment2(configuration: config).run(examples: task, workers: 2, makeSegmenter: make)
/// let curve = Experiment2.curve(trials)
/// ```
public struct Experiment2: Sendable {
    public let configuration: Experiment2Configuration

    public init(configuration: Experiment2Configuration) {
        self.configuration = configuration
    }

    public func progressUnits(imageCount: Int) -> Int {
        min(configuration.targets, imageCount) * configuration.draws * configuration.usableSizes(imageCount: imageCount).count
    }

    public func run(examples: [LabeledExample], workers: Int, progress: ProgressReporter? = nil,
                    makeSegmenter: () throws -> InteractiveSegmenter) throws -> [ContextTrial] {
        guard examples.count >= 2 else {
            throw EvaluationError.tooFewExamples(found: examples.count, needed: 2, what: "experiment 2")
        }
        var generator = SeededGenerator(seed: SeededGenerator.seed(configuration.firstSeed, 0xC0417E87))
        let targets = Array((0..<examples.count).shuffled(using: &generator).prefix(configuration.targets))
        let jobs = targets.flatMap { t in (0..<configuration.draws).map { (target: t, draw: $0) } }
        let perJob = try ParallelWorkers.map(count: jobs.count, workers: workers, makeState: makeSegmenter) { segmenter, j in
            try trials(target: jobs[j].target, draw: jobs[j].draw, examples: examples, segmenter: segmenter,
                       progress: progress)
        }
        return perJob.flatMap { $0 }
    }

    /// Every context size and protocol for one target and draw. Contexts are nested (the first
    /// k of one shuffle), so a larger context only adds examples.
    public func trials(target: Int, draw: Int, examples: [LabeledExample], segmenter: InteractiveSegmenter,
                       progress: ProgressReporter? = nil) throws -> [ContextTrial] {
        var generator = SeededGenerator(
            seed: SeededGenerator.seed(configuration.firstSeed &+ UInt64(draw), UInt64(target) &+ 0xD4A3))
        let pool = (0..<examples.count).filter { $0 != target }.shuffled(using: &generator)
        let example = examples[target]
        var out: [ContextTrial] = []
        for size in configuration.usableSizes(imageCount: examples.count) {
            segmenter.resetContext()
            for index in pool.prefix(size) {
                try segmenter.addToContext(id: examples[index].id, image: examples[index].image, mask: examples[index].truth)
            }
            let first = try segmenter.segment(id: example.id, image: example.image, interactions: Interactions(),
                                              previous: nil, useContext: true)
            for promptProtocol in configuration.protocols {
                let user = SimulatedUser(protocol: promptProtocol)
                var previous = first
                var dice = [Metrics.dice(first.mask, example.truth)]
                var interactions = Interactions()
                for _ in 0..<configuration.steps {
                    guard let step = user.step(truth: example.truth, prediction: previous.mask) else {
                        dice.append(dice.last!)   // already exact: further steps change nothing
                        continue
                    }
                    interactions.append(step)
                    previous = try segmenter.segment(id: example.id, image: example.image, interactions: interactions,
                                                     previous: previous, useContext: true)
                    dice.append(Metrics.dice(previous.mask, example.truth))
                }
                out.append(ContextTrial(targetID: example.id, draw: draw, contextSize: size,
                                        promptProtocol: promptProtocol, diceByStep: dice))
            }
            progress?.advance()
        }
        return out
    }

    /// Mean Dice with a bootstrap interval over targets and draws, per protocol, size and step.
    public static func curve(_ trials: [ContextTrial]) -> [ContextCurvePoint] {
        var points: [ContextCurvePoint] = []
        let protocols = PromptProtocol.allCases.filter { p in trials.contains { $0.promptProtocol == p } }
        for promptProtocol in protocols {
            let sizes = Set(trials.map(\.contextSize)).sorted()
            for size in sizes {
                let group = trials.filter { $0.promptProtocol == promptProtocol && $0.contextSize == size }
                let steps = group.map(\.diceByStep.count).max() ?? 0
                for step in 0..<steps {
                    let values = group.compactMap { step < $0.diceByStep.count ? $0.diceByStep[step] : nil }
                    points.append(ContextCurvePoint(
                        contextSize: size, promptProtocol: promptProtocol, step: step,
                        dice: Statistics.bootstrap(values, seed: SeededGenerator.seed(UInt64(size), UInt64(step)))))
                }
            }
        }
        return points
    }
}
