import Foundation
import PNGCodec
import Testing
@testable import Evaluation

@Suite struct PlotTests {
    @Test func canvasDrawsLinesTextAndRoundTripsThroughPNG() throws {
        var canvas = RasterCanvas(width: 40, height: 20)
        canvas.line(from: (2, 3), to: (30, 3), color: RGB(255, 0, 0))
        #expect(canvas.pixel(x: 2, y: 3) == RGB(255, 0, 0) && canvas.pixel(x: 30, y: 3) == RGB(255, 0, 0))
        #expect(canvas.pixel(x: 31, y: 3) == .white && canvas.pixel(x: 10, y: 4) == .white)
        // "1" at (0, 10): its stem is column 2, rows 0-6 of the glyph.
        canvas.text("1", x: 0, y: 10, color: .black)
        #expect((10...16).allSatisfy { canvas.pixel(x: 2, y: $0) == .black })
        #expect(canvas.pixel(x: 4, y: 12) == .white)
        // Drawing outside is clipped, not a crash.
        canvas.line(from: (-5, -5), to: (60, 60), color: .black, thickness: 3)

        let decoded = try PNGImage(decoding: try canvas.pngData())
        #expect(decoded.width == 40 && decoded.height == 20 && decoded.channels == 3)
        #expect(decoded.samples.map { UInt8($0) } == canvas.samples)
    }

    @Test func everyLabelCharacterHasAGlyph() {
        for text in ["CLICKS TO 90% DICE", "EXAMPLE NUMBER", "in-context", "two-stage", "0.25", "(SCRIBBLES)"] {
            #expect(text.allSatisfy { BitmapFont.glyph($0) != nil }, "missing glyph in \(text)")
        }
        #expect(BitmapFont.glyph("0")!.allSatisfy { $0.count == 5 })
    }

    @Test func niceTicksCoverTheRangeInRoundSteps() {
        let unit = LinePlot.niceTicks(low: 0, high: 1)
        #expect(unit.count == 6 && unit.first == 0 && unit.last == 1 && abs(unit[1] - 0.2) < 1e-12)
        #expect(LinePlot.niceTicks(low: 1, high: 18, minimumStep: 1) == [0, 5, 10, 15, 20])
        #expect(LinePlot.niceTicks(low: 1, high: 3, minimumStep: 1) == [1, 2, 3])
        #expect(LinePlot.format(0.4, step: 0.2) == "0.4" && LinePlot.format(15, step: 5) == "15")
    }

    @Test func plotPutsEachSeriesInItsColourAtItsPoints() {
        var plot = LinePlot(title: "T", xLabel: "X", yLabel: "Y")
        plot.yRange = 0...10
        plot.series = [
            PlotSeries(name: "A", color: RGB(0, 114, 178), xs: [1, 2, 3], ys: [2, 2, 2], band: ([1, 1, 1], [3, 3, 3])),
            PlotSeries(name: "B", color: RGB(213, 94, 0), xs: [1, 2, 3], ys: [8, 8, 8]),
        ]
        let canvas = plot.render()
        var colours: [RGB: Int] = [:]
        for y in 0..<canvas.height { for x in 0..<canvas.width { colours[canvas.pixel(x: x, y: y), default: 0] += 1 } }
        #expect(colours[RGB(0, 114, 178), default: 0] > 200)
        #expect(colours[RGB(213, 94, 0), default: 0] > 200)
        #expect(colours[RGB(0, 114, 178).lightened(0.78), default: 0] > 1000, "the band is shaded")
        // Line A (y = 2) lies below line B (y = 8) on the image.
        let rowOf = { (c: RGB) in (0..<canvas.height).first { y in (100..<400).contains { canvas.pixel(x: $0, y: y) == c } }! }
        #expect(rowOf(RGB(213, 94, 0)) < rowOf(RGB(0, 114, 178)))
    }
}

@Suite struct ReportTests {
    @Test func reportCarriesEveryNumberToJSONAndMarkdown() throws {
        let task = syntheticTask(count: 10)
        var config = Experiment1Configuration()
        config.methods = [.multiverseg, .interactive]
        config.protocols = [.clicks]
        config.seeds = 3
        config.imagesPerSequence = 5
        let runs = try Experiment1(configuration: config).run(examples: task, workers: 1) {
            FakeSegmenter(examples: task, clicksNeeded: 4, contextNeeded: 3)
        }
        let summary = Experiment1Summary(runs: runs, configuration: config)
        let report = EvaluationReport(
            tool: "test", created: "now", task: .init(name: "synthetic", path: "-", images: 10, sizes: ["12x12"]),
            model: .init(weights: "fake", interactiveWeights: nil, description: "fake", contextLimit: 16), workers: 1,
            experiment1: .init(configuration: config, summary: summary, runs: runs, wallSeconds: 1))
        let markdown = report.markdown()
        // Context 1, 2: four clicks each; from 3 on none: 8 per task versus 20 without context.
        #expect(markdown.contains("| clicks | multiverseg | 8.00 [8.00, 8.00]"))
        #expect(markdown.contains("| clicks | interactive | 20.00 [20.00, 20.00]"))
        #expect(markdown.contains("60.0% fewer steps"))
        let json = String(decoding: try report.jsonData(), as: UTF8.self)
        #expect(json.contains("\"reductionPercent\""))
        let decoded = try decodeReport(try report.jsonData())
        #expect(decoded.experiment1?.runs == runs)

        let png = try ReportFigures.interactionsByExample(summary, protocol: .clicks, targetDice: 0.9).render().pngData()
        #expect(try PNGImage(decoding: png).width == 900)
    }
}

func decodeReport(_ data: Data) throws -> EvaluationReport {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try decoder.decode(EvaluationReport.self, from: data)
}
