import Inference
import Testing
@testable import Evaluation

@Suite struct ProtocolTests {
    func configuration(_ methods: [EvaluationMethod], protocols: [PromptProtocol] = [.clicks], seeds: Int = 2,
                       images: Int = 6) -> Experiment1Configuration {
        var c = Experiment1Configuration()
        c.methods = methods
        c.protocols = protocols
        c.seeds = seeds
        c.imagesPerSequence = images
        return c
    }

    @Test(arguments: [1, 3, 7])
    func noiIsTheNumberOfClicksTheModelNeeds(k: Int) throws {
        let task = syntheticTask(count: 8)
        let fake = FakeSegmenter(examples: task, clicksNeeded: k)
        let runs = try Experiment1(configuration: configuration([.interactive])).simulate(
            seed: 3, examples: task, segmenter: fake)
        let images = try #require(runs.first?.sequences.first?.images)
        #expect(images.count == 6)
        #expect(images.allSatisfy { $0.steps == k && $0.reachedTarget && $0.dice == 1 })
        #expect(images.allSatisfy { $0.diceByStep.count == k })   // no step 0 without context
        #expect(runs[0].seedImage.steps == k)
    }

    @Test func stopsAtTheCapWhenTheTargetIsNeverReached() throws {
        let task = syntheticTask(count: 5)
        let fake = FakeSegmenter(examples: task, clicksNeeded: 1000)
        let config = configuration([.interactive], protocols: [.clicks, .scribbles], images: 3)
        let runs = try Experiment1(configuration: config).simulate(seed: 0, examples: task, segmenter: fake)
        let clicks = try #require(runs.first { $0.promptProtocol == .clicks }?.sequences[0].images)
        let scribbles = try #require(runs.first { $0.promptProtocol == .scribbles }?.sequences[0].images)
        #expect(clicks.allSatisfy { $0.steps == 20 && !$0.reachedTarget && $0.dice == 0 && $0.hd95 == nil })
        #expect(scribbles.allSatisfy { $0.steps == 10 && !$0.reachedTarget })
        // First scribble step places two scribbles, each later step one.
        #expect(scribbles.allSatisfy { $0.interactions == 11 })
    }

    @Test func contextGrowsByOnePerImageAndStepZeroComesFirst() throws {
        let task = syntheticTask(count: 10)
        let fake = FakeSegmenter(examples: task, clicksNeeded: 2)
        let runs = try Experiment1(configuration: configuration([.multiverseg, .interactive], images: 7))
            .simulate(seed: 1, examples: task, segmenter: fake)
        let full = try #require(runs[0].sequences.first { $0.method == .multiverseg })
        let alone = try #require(runs[0].sequences.first { $0.method == .interactive })
        #expect(full.images.map(\.contextSize) == Array(1...7))
        #expect(alone.images.map(\.contextSize) == Array(repeating: 0, count: 7))
        // multiverseg: step 0 (Dice 0 here), then two clicks.
        #expect(full.images.allSatisfy { $0.steps == 2 && $0.diceByStep == [0, 0, 1] })
        let withContext = fake.requests.filter { $0.useContext }
        #expect(withContext.count == 7 * 3)
        #expect(Set(withContext.map(\.contextCount)) == Set(1...7))
    }

    @Test func aGoodContextNeedsNoInteraction() throws {
        let task = syntheticTask(count: 10)
        let fake = FakeSegmenter(examples: task, clicksNeeded: 4, contextNeeded: 3)
        let config = configuration([.multiverseg, .interactive, .inContext, .twoStage], images: 8)
        let runs = try Experiment1(configuration: config).simulate(seed: 5, examples: task, segmenter: fake)
        func steps(_ method: EvaluationMethod) -> [Int] { runs[0].sequences.first { $0.method == method }!.images.map(\.steps) }
        // Context sizes 1...8: from 3 entries on, the in-context prediction is exact.
        #expect(steps(.multiverseg) == [4, 4, 0, 0, 0, 0, 0, 0])
        #expect(steps(.interactive) == Array(repeating: 4, count: 8))
        #expect(steps(.inContext) == Array(repeating: 0, count: 8))
        let inContext = runs[0].sequences.first { $0.method == .inContext }!.images
        #expect(inContext.map(\.reachedTarget) == [false, false, true, true, true, true, true, true])
        // two-stage ignores the context below 5 entries, then uses it for step 0 only.
        #expect(steps(.twoStage) == [4, 4, 4, 4, 0, 0, 0, 0])

        let summary = Experiment1Summary(runs: runs, configuration: config)
        let mv = try #require(summary.methods.first { $0.method == .multiverseg })
        #expect(mv.totalSteps.mean == 8)
        #expect(mv.stepsByExample.map(\.mean) == [4, 4, 0, 0, 0, 0, 0, 0])
        #expect(summary.reductionPercent["clicks"] == 100 * (1 - 8.0 / 32.0))
        let ic = try #require(summary.methods.first { $0.method == .inContext })
        #expect(ic.failures == 2 && ic.images == 8)
    }

    @Test func seedsAreReproducibleAndDiffer() {
        let experiment = Experiment1(configuration: configuration([.multiverseg], images: 18))
        let a = experiment.order(seed: 4, count: 40)
        #expect(a == experiment.order(seed: 4, count: 40))
        #expect(a != experiment.order(seed: 5, count: 40))
        #expect(a.sequence.count == 18 && !a.sequence.contains(a.seed) && Set(a.sequence).count == 18)
    }

    @Test func parallelRunMatchesTheSerialOne() throws {
        let task = syntheticTask(count: 9)
        let config = configuration([.multiverseg, .twoStage], protocols: [.clicks, .scribbles], seeds: 4, images: 5)
        let experiment = Experiment1(configuration: config)
        let parallel = try experiment.run(examples: task, workers: 2) {
            FakeSegmenter(examples: task, clicksNeeded: 2, contextNeeded: 4)
        }
        let serial = try (0..<4).flatMap { seed in
            try experiment.simulate(seed: UInt64(seed), examples: task,
                                    segmenter: FakeSegmenter(examples: task, clicksNeeded: 2, contextNeeded: 4))
        }
        #expect(parallel == serial)
        #expect(parallel.count == 8)
    }

    @Test func contextSizeCurveUsesGroundTruthContexts() throws {
        let task = syntheticTask(count: 12)
        var config = Experiment2Configuration()
        config.contextSizes = [1, 2, 4, 8, 16]
        config.targets = 3
        config.steps = 2
        config.protocols = [.clicks]
        let trials = try Experiment2(configuration: config).run(examples: task, workers: 2) {
            FakeSegmenter(examples: task, clicksNeeded: 2, contextNeeded: 4)
        }
        // 16 does not fit a task of 12 images.
        #expect(Set(trials.map(\.contextSize)) == [1, 2, 4, 8])
        #expect(trials.count == 3 * 4)
        for trial in trials {
            #expect(trial.diceByStep == (trial.contextSize >= 4 ? [1, 1, 1] : [0, 0, 1]))
        }
        let curve = Experiment2.curve(trials)
        #expect(curve.count == 4 * 3)
        #expect(curve.first { $0.contextSize == 2 && $0.step == 0 }?.dice.mean == 0)
        #expect(curve.first { $0.contextSize == 8 && $0.step == 0 }?.dice.mean == 1)
    }
}
