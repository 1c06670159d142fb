/// Experiment 1 averaged over simulations for one method and protocol.
public struct MethodSummary: Sendable, Codable, Equatable {
    public var method: EvaluationMethod
    public var promptProtocol: PromptProtocol
    /// Interaction steps (NoI90) for example number n at index n - 1, over simulations.
    public var stepsByExample: [Estimate]
    /// Dice of the accepted mask by example number.
    public var diceByExample: [Estimate]
    /// Steps summed over the sequence, per simulation.
    public var totalSteps: Estimate
    /// Clicks + scribbles summed over the sequence, per simulation.
    public var totalInteractions: Estimate
    /// Mean Dice and HD95 of the accepted masks per simulation.
    public var dice: Estimate
    public var hd95: Estimate
    /// Accepted masks below the target Dice, over all simulations, and how many masks in all.
    public var failures: Int
    public var images: Int
}

/// Everything Experiment 1 reports.
public struct Experiment1Summary: Sendable, Codable, Equatable {
    public var methods: [MethodSummary]
    /// Per protocol: 100 x (1 - total steps of `multiverseg` / total steps of `interactive`),
    /// the paper's headline (36% fewer clicks, 25% fewer scribble steps); nil without both methods.
    public var reductionPercent: [String: Double]
    /// Mean steps spent on the seed image per protocol (excluded from the totals, as in the paper).
    public var seedSteps: [String: Estimate]

    public init(runs: [SimulationRun], configuration: Experiment1Configuration) {
        var methods: [MethodSummary] = []
        var reductions: [String: Double] = [:]
        var seedSteps: [String: Estimate] = [:]
        for promptProtocol in configuration.protocols {
            let protocolRuns = runs.filter { $0.promptProtocol == promptProtocol }
            guard !protocolRuns.isEmpty else { continue }
            seedSteps[promptProtocol.rawValue] = Statistics.bootstrap(protocolRuns.map { Double($0.seedImage.steps) })
            for (m, method) in configuration.methods.enumerated() {
                let sequences = protocolRuns.compactMap { run in run.sequences.first { $0.method == method } }
                guard let length = sequences.map(\.images.count).max() else { continue }
                let salt = UInt64(m * 31 + (promptProtocol == .clicks ? 0 : 7))
                func estimate(_ values: [Double], _ k: Int) -> Estimate {
                    Statistics.bootstrap(values.filter { !$0.isNaN }, seed: SeededGenerator.seed(salt, UInt64(k)))
                }
                let steps = (0..<length).map { n in
                    estimate(sequences.compactMap { n < $0.images.count ? Double($0.images[n].steps) : nil }, n)
                }
                let diceByExample = (0..<length).map { n in
                    estimate(sequences.compactMap { n < $0.images.count ? $0.images[n].dice : nil }, 1000 + n)
                }
                let all = sequences.flatMap(\.images)
                methods.append(MethodSummary(
                    method: method, promptProtocol: promptProtocol, stepsByExample: steps, diceByExample: diceByExample,
                    totalSteps: estimate(sequences.map { Double($0.totalSteps) }, 2000),
                    totalInteractions: estimate(sequences.map { Double($0.images.reduce(0) { $0 + $1.interactions }) }, 2001),
                    dice: estimate(sequences.map { Statistics.mean($0.images.map(\.dice)) }, 2002),
                    hd95: estimate(sequences.map { Statistics.mean($0.images.compactMap(\.hd95)) }, 2003),
                    failures: all.filter { !$0.reachedTarget }.count, images: all.count))
            }
            let total = { (method: EvaluationMethod) in
                methods.first { $0.method == method && $0.promptProtocol == promptProtocol }?.totalSteps.mean
            }
            if let full = total(.multiverseg), let alone = total(.interactive), alone > 0 {
                reductions[promptProtocol.rawValue] = 100 * (1 - full / alone)
            }
        }
        self.methods = methods
        reductionPercent = reductions
        self.seedSteps = seedSteps
    }
}
