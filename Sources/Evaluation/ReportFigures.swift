/// The report's plots: the paper's Fig. 3 (interactions per example number, one line per
/// method) and Fig. 6/7 (Dice against context size, one line per number of steps).
public enum ReportFigures {
    /// Steps to the target Dice against example number, per method, for one protocol.
    public static func interactionsByExample(_ summary: Experiment1Summary, protocol promptProtocol: PromptProtocol,
                                             targetDice: Double) -> LinePlot {
        let unit = promptProtocol == .clicks ? "CLICKS" : "SCRIBBLE STEPS"
        var plot = LinePlot(title: "\(unit) TO \(Int((targetDice * 100).rounded()))% DICE",
                            xLabel: "EXAMPLE NUMBER", yLabel: unit)
        let methods = summary.methods.filter { $0.promptProtocol == promptProtocol }
        for (i, m) in methods.enumerated() {
            let xs = m.stepsByExample.indices.map { Double($0 + 1) }
            plot.series.append(PlotSeries(
                name: m.method.rawValue, color: LinePlot.palette[i % LinePlot.palette.count], xs: xs,
                ys: m.stepsByExample.map(\.mean),
                band: (m.stepsByExample.map(\.low), m.stepsByExample.map(\.high))))
        }
        return plot
    }

    /// Dice against context size (log scale), one line per number of interaction steps.
    public static func diceByContextSize(_ curve: [ContextCurvePoint], protocol promptProtocol: PromptProtocol) -> LinePlot {
        let unit = promptProtocol == .clicks ? "CLICK" : "SCRIBBLE STEP"
        var plot = LinePlot(title: "DICE VS CONTEXT SIZE (\(promptProtocol == .clicks ? "CLICKS" : "SCRIBBLES"))",
                            xLabel: "CONTEXT SIZE", yLabel: "DICE")
        plot.xLogarithmic = true
        plot.yRange = 0...1
        let points = curve.filter { $0.promptProtocol == promptProtocol }
        let steps = Set(points.map(\.step)).sorted()
        for (i, step) in steps.enumerated() {
            let line = points.filter { $0.step == step }.sorted { $0.contextSize < $1.contextSize }
            let name = step == 0 ? "NO INTERACTION" : "\(step) \(unit)\(step == 1 ? "" : "S")"
            plot.series.append(PlotSeries(
                name: name, color: LinePlot.palette[i % LinePlot.palette.count],
                xs: line.map { Double($0.contextSize) }, ys: line.map(\.dice.mean),
                band: (line.map(\.dice.low), line.map(\.dice.high))))
        }
        return plot
    }
}
