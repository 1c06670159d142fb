import ArgumentParser
import Evaluation
import Foundation
import Inference

/// `multiverseg eval`: the paper's experiments measured by the product itself.
///
/// ```
/// multiverseg eval --data ../shared/data/PH2/skin_lesion --weights model.safetensors -o eval-ph2
/// multiverseg eval --project Projects/knees --label bone --experiments 2
/// ```
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run the paper's experiments on a labeled task and write a JSON report, a Markdown summary and plots.",
        discussion: """
            Experiment 1 segments a seed image, then --images more in a random order per seed, with the \
            methods multiverseg (context grows), interactive (no context), in-context (no interaction) and \
            two-stage (in-context prediction refined without context). Experiment 2 measures Dice against the \
            size of a ground-truth context, after 0 to --steps interaction steps. Without --weights the \
            default model is used, or a random-init network when there is none (its numbers only test the machinery).
            """)

    @Option(help: "Task folder with images/ and masks/ (same file names), as in shared/data.")
    var data: String?

    @Option(help: "Project folder (with images/ and masks/<label>/); use with --label.")
    var project: String?

    @Option(help: "The project's label to evaluate.")
    var label: String?

    @Option(help: "MultiverSeg weights (safetensors). Default: Weights/default.safetensors when it exists, else a random-init network (see --features).")
    var weights: String?

    @Flag(help: "Use a random-init network even when default weights exist (tests the machinery, not the model).")
    var random = false

    @Option(help: "Optional ScribblePrompt-UNet weights for predictions without context.")
    var interactiveWeights: String?

    @OptionGroup(title: "Random-init network (without weights, or with --random)")
    var randomNetwork: RandomNetworkOptions

    @Option(help: "Which experiments: 1, 2 or 1,2.")
    var experiments = "1,2"

    @Option(help: "Experiment 1: simulations (random seed image and order each; the paper used 200).")
    var seeds = 20

    @Option(help: "Seed of the first simulation.")
    var firstSeed: UInt64 = 0

    @Option(help: "Experiment 1: images segmented after the seed image.")
    var images = 18

    @Option(help: "Experiment 1 methods, comma-separated: multiverseg, interactive, in-context, two-stage.")
    var methods = "multiverseg,interactive,in-context,two-stage"

    @Option(help: "Interaction protocols, comma-separated: clicks, scribbles.")
    var protocols = "clicks,scribbles"

    @Option(help: "Target Dice.")
    var targetDice = 0.9

    @Option(help: "At most this many clicks per image.")
    var maxClicks = 20

    @Option(help: "At most this many scribble steps per image.")
    var maxScribbleSteps = 10

    @Option(help: "two-stage: context entries needed before the context is used.")
    var twoStageMinimum = 5

    @Option(help: "Experiment 2: comma-separated ground-truth context sizes.")
    var contextSizes = "1,2,4,8,16,32,64"

    @Option(help: "Experiment 2: interaction steps after the in-context prediction.")
    var steps = 3

    @Option(help: "Experiment 2: target images.")
    var targets = 10

    @Option(help: "Experiment 2: random context draws per target.")
    var draws = 1

    @Option(help: "Experiment 1: at most this many context entries reach the network (the app's default).")
    var contextLimit = 16

    @Option(help: "Parallel workers, each with its own network on one thread.")
    var workers = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .shortAndLong, help: "Output folder for report.json, report.md and the plots.")
    var output: String?

    @Flag(help: "No progress bar.")
    var quiet = false

    func run() throws {
        let chosenMethods = try parseList(methods, option: "--methods", as: EvaluationMethod.self)
        let chosenProtocols = try parseList(protocols, option: "--protocols", as: PromptProtocol.self)
        let (examples, taskName, taskPath) = try loadTask()
        let wanted = Set(experiments.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        guard !wanted.isEmpty, wanted.isSubset(of: ["1", "2"]) else {
            throw ValidationError("--experiments must be 1, 2 or 1,2")
        }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        let outputFolder = output ?? "eval-\(taskName)"
        try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)

        if random && self.weights != nil { throw ValidationError("give either --weights or --random, not both") }
        let weights = resolvedWeights()
        if weights == nil {
            FileHandle.standardError.write(("note: using a random-init network\(random ? "" : " (no --weights and no \(Self.defaultWeights))"); "
                + "its numbers only test the machinery\n").data(using: .utf8)!)
        }
        let spec = try (weights.map { try ModelSpec.load(weights: $0, interactiveWeights: interactiveWeights) }
            ?? randomNetwork.spec(interactiveWeights: interactiveWeights))
            .requiringInContextNetwork()
        let modelDescription = "\(spec.configuration)" + (spec.isRandom ? " (random-init, untrained)" : "")
            + (spec.interactiveWeights == nil ? "" : " + ScribblePrompt-UNet for empty contexts")
        var report = EvaluationReport(
            tool: "multiverseg \(MultiverSegVersion.string) eval", created: ISO8601DateFormatter().string(from: Date()),
            task: .init(name: taskName, path: taskPath, images: examples.count,
                        sizes: Array(Set(examples.map { "\($0.image.width)x\($0.image.height)" })).sorted()),
            model: .init(weights: weights ?? spec.name, interactiveWeights: interactiveWeights,
                         description: modelDescription, contextLimit: contextLimit),
            workers: workers)
        print("task \(taskName): \(examples.count) labeled images; model: \(modelDescription); \(workers) workers")

        if wanted.contains("1") {
            var config = Experiment1Configuration()
            config.seeds = seeds
            config.firstSeed = firstSeed
            config.imagesPerSequence = images
            config.methods = chosenMethods
            config.protocols = chosenProtocols
            config.targetDice = targetDice
            config.clickLimit = maxClicks
            config.scribbleStepLimit = maxScribbleSteps
            config.twoStageMinimumContext = twoStageMinimum
            guard seeds >= 1, images >= 1 else { throw ValidationError("--seeds and --images must be at least 1") }
            if examples.count < images + 1 {
                FileHandle.standardError.write("note: the task has \(examples.count) images, so each simulation segments \(examples.count - 1) after the seed\n".data(using: .utf8)!)
            }
            let experiment = Experiment1(configuration: config)
            let progress = ProgressReporter(title: "experiment 1", total: experiment.progressUnits(imageCount: examples.count),
                                            enabled: !quiet)
            let limit = contextLimit
            let runs = try experiment.run(examples: examples, workers: workers, progress: progress) {
                PredictorSegmenter(predictor: try spec.makePredictor(threads: 1, options: PredictorOptions(contextLimit: limit)))
            }
            progress.finish()
            let summary = Experiment1Summary(runs: runs, configuration: config)
            report.experiment1 = .init(configuration: config, summary: summary, runs: runs, wallSeconds: progress.elapsed)
            print(String(format: "experiment 1: %d simulations x %d images in %.1f s", seeds,
                         runs.first?.sequences.first?.images.count ?? 0, progress.elapsed))
            for m in summary.methods {
                let name = m.promptProtocol.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + m.method.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                print("  " + name + String(format: "total steps %6.2f  Dice %.3f  below target %d of %d",
                                           m.totalSteps.mean, m.dice.mean, m.failures, m.images))
            }
            for promptProtocol in config.protocols where summary.methods.contains(where: { $0.promptProtocol == promptProtocol }) {
                let plot = ReportFigures.interactionsByExample(summary, protocol: promptProtocol, targetDice: targetDice)
                try write(try plot.render().pngData(), to: outputFolder, "interactions-\(promptProtocol.rawValue).png")
            }
        }

        if wanted.contains("2") {
            var config = Experiment2Configuration()
            config.contextSizes = try parseSizes(contextSizes)
            config.steps = steps
            config.protocols = chosenProtocols
            config.targets = targets
            config.draws = draws
            config.firstSeed = firstSeed
            guard steps >= 0, targets >= 1, draws >= 1 else {
                throw ValidationError("--steps must be at least 0, --targets and --draws at least 1")
            }
            let experiment = Experiment2(configuration: config)
            let usable = config.usableSizes(imageCount: examples.count)
            if usable.count < config.contextSizes.count {
                FileHandle.standardError.write("note: context sizes above \(examples.count - 1) do not fit this task and are skipped\n".data(using: .utf8)!)
            }
            let progress = ProgressReporter(title: "experiment 2", total: experiment.progressUnits(imageCount: examples.count),
                                            enabled: !quiet)
            // Every entry of a ground-truth context must reach the network.
            let limit = max(contextLimit, usable.max() ?? 1)
            let trials = try experiment.run(examples: examples, workers: workers, progress: progress) {
                PredictorSegmenter(predictor: try spec.makePredictor(threads: 1, options: PredictorOptions(contextLimit: limit)))
            }
            progress.finish()
            let curve = Experiment2.curve(trials)
            report.experiment2 = .init(configuration: config, curve: curve, trials: trials, wallSeconds: progress.elapsed)
            print(String(format: "experiment 2: %d trials in %.1f s", trials.count, progress.elapsed))
            for point in curve where point.step == 0 && point.promptProtocol == chosenProtocols.first {
                print(String(format: "  context %3d: Dice %.3f (no interaction)", point.contextSize, point.dice.mean))
            }
            for promptProtocol in config.protocols {
                let plot = ReportFigures.diceByContextSize(curve, protocol: promptProtocol)
                try write(try plot.render().pngData(), to: outputFolder, "dice-by-context-\(promptProtocol.rawValue).png")
            }
        }

        try write(Array(try report.jsonData()), to: outputFolder, "report.json")
        try write(Array(report.markdown().utf8), to: outputFolder, "report.md")
        print("wrote \(outputFolder)/report.json, report.md and the plots")
    }

    static let defaultWeights = "Weights/default.safetensors"

    /// --weights, else the default model when it is there (and --random is not given), else nil.
    private func resolvedWeights() -> String? {
        if let weights { return weights }
        if !random && FileManager.default.fileExists(atPath: Self.defaultWeights) { return Self.defaultWeights }
        return nil
    }

    private func loadTask() throws -> (examples: [LabeledExample], name: String, path: String) {
        switch (data, project, label) {
        case let (data?, nil, nil):
            let examples = try LabeledExample.load(taskFolder: data)
            let url = URL(fileURLWithPath: data).standardizedFileURL
            let name = "\(url.deletingLastPathComponent().lastPathComponent)-\(url.lastPathComponent)"
            return (examples, name, data)
        case let (nil, project?, label?):
            let examples = try LabeledExample.load(project: project, label: label)
            return (examples, "\(URL(fileURLWithPath: project).lastPathComponent)-\(label)", project)
        default:
            throw ValidationError("give either --data <task folder> or --project <folder> with --label <name>")
        }
    }

    private func parseList<T: RawRepresentable>(_ text: String, option: String, as: T.Type) throws -> [T]
    where T.RawValue == String, T: CaseIterable {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = names.compactMap(T.init(rawValue:))
        guard !names.isEmpty, values.count == names.count else {
            throw ValidationError("\(option) takes a comma-separated list of: "
                                  + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return values
    }

    private func parseSizes(_ text: String) throws -> [Int] {
        let values = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--context-sizes must be comma-separated positive integers, e.g. 1,2,4,8")
        }
        return values
    }

    private func write(_ bytes: [UInt8], to folder: String, _ name: String) throws {
        let path = (folder as NSString).appendingPathComponent(name)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw EvaluationError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }
}
