import Foundation

/// Everything one `multiverseg eval` run measured, as written to `report.json`.
public struct EvaluationReport: Sendable, Codable {
    public struct Task: Sendable, Codable {
        public var name: String
        public var path: String
        public var images: Int
        /// Image sizes seen, e.g. ["256x256"].
        public var sizes: [String]

        public init(name: String, path: String, images: Int, sizes: [String]) {
            self.name = name
            self.path = path
            self.images = images
            self.sizes = sizes
        }
    }

    public struct Model: Sendable, Codable {
        /// What the network is: a weights file path or "random-init ...".
        public var weights: String
        public var interactiveWeights: String?
        public var description: String
        public var contextLimit: Int

        public init(weights: String, interactiveWeights: String?, description: String, contextLimit: Int) {
            self.weights = weights
            self.interactiveWeights = interactiveWeights
            self.description = description
            self.contextLimit = contextLimit
        }
    }

    public struct Experiment1Result: Sendable, Codable {
        public var configuration: Experiment1Configuration
        public var summary: Experiment1Summary
        public var runs: [SimulationRun]
        public var wallSeconds: Double

        public init(configuration: Experiment1Configuration, summary: Experiment1Summary, runs: [SimulationRun],
                    wallSeconds: Double) {
            self.configuration = configuration
            self.summary = summary
            self.runs = runs
            self.wallSeconds = wallSeconds
        }
    }

    public struct Experiment2Result: Sendable, Codable {
        public var configuration: Experiment2Configuration
        public var curve: [ContextCurvePoint]
        public var trials: [ContextTrial]
        public var wallSeconds: Double

        public init(configuration: Experiment2Configuration, curve: [ContextCurvePoint], trials: [ContextTrial],
                    wallSeconds: Double) {
            self.configuration = configuration
            self.curve = curve
            self.trials = trials
            self.wallSeconds = wallSeconds
        }
    }

    public var tool: String
    public var created: String
    public var task: Task
    public var model: Model
    public var workers: Int
    public var experiment1: Experiment1Result?
    public var experiment2: Experiment2Result?

    public init(tool: String, created: String, task: Task, model: Model, workers: Int,
                experiment1: Experiment1Result? = nil, experiment2: Experiment2Result? = nil) {
        self.tool = tool
        self.created = created
        self.task = task
        self.model = model
        self.workers = workers
        self.experiment1 = experiment1
        self.experiment2 = experiment2
    }

    /// Pretty, key-sorted JSON; NaN (no data) is written as the string "nan".
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }
}

extension EvaluationReport {
    /// The human summary: tables of Experiment 1 (totals, Dice, HD95, NoI per example number)
    /// and Experiment 2 (Dice by context size and step).
    public func markdown() -> String {
        var out = "# MultiverSeg evaluation: \(task.name)\n\n"
        out += "- task: `\(task.path)`, \(task.images) labeled images (\(task.sizes.joined(separator: ", ")))\n"
        out += "- model: \(model.description) — weights `\(model.weights)`"
        out += model.interactiveWeights.map { ", interactive weights `\($0)`" } ?? ""
        out += "; context limit \(model.contextLimit)\n"
        out += "- \(workers) workers; created \(created) by \(tool)\n\n"

        if let e1 = experiment1 {
            let c = e1.configuration
            out += "## Experiment 1: interactions to segment the task\n\n"
            out += "\(c.seeds) simulations (seeds \(c.firstSeed)...\(c.firstSeed + UInt64(max(0, c.seeds - 1)))), "
            out += "seed image then \(e1.runs.first?.sequences.first?.images.count ?? c.imagesPerSequence) images each; "
            out += "target Dice \(Self.number(c.targetDice)), at most \(c.clickLimit) clicks / \(c.scribbleStepLimit) scribble steps; "
            out += "two-stage uses the context from \(c.twoStageMinimumContext) entries. "
            out += "Wall time \(Self.number(e1.wallSeconds, 1)) s. Intervals: 95% bootstrap over simulations.\n\n"
            out += "| protocol | method | total steps per task | total interactions | Dice | HD95 (px) | below target |\n"
            out += "|---|---|---:|---:|---:|---:|---:|\n"
            for m in e1.summary.methods {
                out += "| \(m.promptProtocol.rawValue) | \(m.method.rawValue) | \(Self.interval(m.totalSteps)) "
                out += "| \(Self.interval(m.totalInteractions)) | \(Self.interval(m.dice, 3)) | \(Self.interval(m.hd95)) "
                out += "| \(m.failures) of \(m.images) |\n"
            }
            out += "\n"
            for (p, value) in e1.summary.reductionPercent.sorted(by: { $0.key < $1.key }) {
                out += "- \(p): `multiverseg` needs \(Self.number(value, 1))% fewer steps than `interactive` "
                out += "(paper: 36% fewer clicks, 25% fewer scribble steps)\n"
            }
            for (p, value) in e1.summary.seedSteps.sorted(by: { $0.key < $1.key }) {
                out += "- \(p): seed image took \(Self.interval(value)) steps (not counted above)\n"
            }
            for promptProtocol in c.protocols {
                let methods = e1.summary.methods.filter { $0.promptProtocol == promptProtocol }
                guard let length = methods.map(\.stepsByExample.count).max(), length > 0 else { continue }
                out += "\n### Steps to \(Self.number(c.targetDice)) Dice by example number (\(promptProtocol.rawValue))\n\n"
                out += "| example | " + methods.map(\.method.rawValue).joined(separator: " | ") + " |\n"
                out += "|---:|" + String(repeating: "---:|", count: methods.count) + "\n"
                for n in 0..<length {
                    out += "| \(n + 1) | " + methods.map { n < $0.stepsByExample.count ? Self.interval($0.stepsByExample[n]) : "" }
                        .joined(separator: " | ") + " |\n"
                }
            }
            out += "\n"
        }

        if let e2 = experiment2 {
            let c = e2.configuration
            out += "## Experiment 2: Dice against ground-truth context size\n\n"
            out += "\(c.targets) target images x \(c.draws) context draws; Dice after 0 (in-context only) to \(c.steps) "
            out += "interaction steps. Wall time \(Self.number(e2.wallSeconds, 1)) s. Intervals: 95% bootstrap over targets and draws.\n\n"
            for promptProtocol in c.protocols {
                let points = e2.curve.filter { $0.promptProtocol == promptProtocol }
                let sizes = Set(points.map(\.contextSize)).sorted()
                guard let steps = points.map(\.step).max() else { continue }
                out += "### \(promptProtocol.rawValue)\n\n"
                out += "| context size | " + (0...steps).map { "step \($0)" }.joined(separator: " | ") + " |\n"
                out += "|---:|" + String(repeating: "---:|", count: steps + 1) + "\n"
                for size in sizes {
                    out += "| \(size) | " + (0...steps).map { step in
                        points.first { $0.contextSize == size && $0.step == step }.map { Self.interval($0.dice, 3) } ?? ""
                    }.joined(separator: " | ") + " |\n"
                }
                out += "\n"
            }
        }
        return out
    }

    /// "4.25 [3.10, 5.40]".
    static func interval(_ e: Estimate, _ decimals: Int = 2) -> String {
        guard e.mean.isFinite else { return "n/a" }
        return "\(number(e.mean, decimals)) [\(number(e.low, decimals)), \(number(e.high, decimals))]"
    }

    static func number(_ value: Double, _ decimals: Int = 2) -> String {
        value.isFinite ? String(format: "%.\(decimals)f", value) : "n/a"
    }
}
