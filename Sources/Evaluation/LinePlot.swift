import Foundation

/// One line of a plot, with an optional shaded interval.
public struct PlotSeries: Sendable {
    public var name: String
    public var color: RGB
    public var xs: [Double]
    public var ys: [Double]
    /// Lower and upper ends of the interval at each x (a 95% CI band), or nil.
    public var band: (low: [Double], high: [Double])?

    public init(name: String, color: RGB, xs: [Double], ys: [Double], band: (low: [Double], high: [Double])? = nil) {
        precondition(xs.count == ys.count && band.map { $0.low.count == xs.count && $0.high.count == xs.count } ?? true)
        self.name = name
        self.color = color
        self.xs = xs
        self.ys = ys
        self.band = band
    }
}

/// A line chart with axes, tick labels, a legend and confidence bands, drawn on a
/// `RasterCanvas` (no outside plotting library).
///
/// ```swift
/// var plot = LinePlot(title: "Clicks to 90% Dice", xLabel: "Example number", yLabel: "Clicks")
/// plot.series.append(PlotSeries(name: "multiverseg", color: LinePlot.palette[0], xs: [1, 2], ys: [5, 3]))
/// let png = try plot.render().pngData()
/// ```
public struct LinePlot: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [PlotSeries] = []
    /// Logarithmic x axis in base 2, ticks at the powers of two (context sizes).
    public var xLogarithmic = false
    /// Fixed y range; nil fits the data (and includes 0).
    public var yRange: ClosedRange<Double>?
    public var width = 900
    public var height = 460

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// Distinguishable line colours (colour-blind-safe Okabe–Ito order).
    public static let palette: [RGB] = [
        RGB(0, 114, 178), RGB(213, 94, 0), RGB(0, 158, 115), RGB(204, 121, 167),
        RGB(230, 159, 0), RGB(86, 180, 233), RGB(0, 0, 0), RGB(240, 228, 66),
    ]

    public func render() -> RasterCanvas {
        var canvas = RasterCanvas(width: width, height: height)
        // The legend sits right of the plot area, so it never hides a line.
        let rowHeight = 20
        let legendWidth = series.isEmpty ? 0 : (series.map { RasterCanvas.textWidth($0.name, scale: 2) }.max() ?? 0) + 44
        let left = 78, right = 24 + legendWidth + (series.isEmpty ? 0 : 16), top = 40, bottom = 58
        let plotWidth = Double(width - left - right), plotHeight = Double(height - top - bottom)

        let allX = series.flatMap(\.xs).map(xTransform)
        var allY = series.flatMap { $0.ys + ($0.band.map { $0.low + $0.high } ?? []) }.filter(\.isFinite)
        allY.append(0)
        let xMin = allX.min() ?? 0, xMax = max((allX.max() ?? 1), xMin + 1e-9)
        let xPad = xLogarithmic ? 0.15 : (xMax - xMin) * 0.03
        let xLow = xMin - xPad, xHigh = xMax + xPad
        let yTicks: [Double]
        if let yRange {
            yTicks = Self.niceTicks(low: yRange.lowerBound, high: yRange.upperBound)
        } else {
            yTicks = Self.niceTicks(low: allY.min() ?? 0, high: max(allY.max() ?? 1, (allY.min() ?? 0) + 1))
        }
        let yLow = yRange?.lowerBound ?? yTicks.first!, yHigh = yRange?.upperBound ?? yTicks.last!

        func px(_ x: Double) -> Double { Double(left) + (xTransform(x) - xLow) / (xHigh - xLow) * plotWidth }
        func py(_ y: Double) -> Double { Double(top) + (yHigh - min(max(y, yLow), yHigh)) / (yHigh - yLow) * plotHeight }

        // Grid, ticks and their labels.
        let axisColor = RGB(60, 60, 60), gridColor = RGB(232, 232, 232)
        for tick in yTicks where tick >= yLow - 1e-9 && tick <= yHigh + 1e-9 {
            let y = py(tick)
            canvas.line(from: (Double(left), y), to: (Double(width - right), y), color: gridColor)
            canvas.line(from: (Double(left - 5), y), to: (Double(left), y), color: axisColor)
            let label = Self.format(tick, step: yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1)
            canvas.text(label, x: left - 8 - RasterCanvas.textWidth(label, scale: 2), y: Int(y) - 7, color: axisColor, scale: 2)
        }
        for tick in xTicks(low: xMin, high: xMax) {
            let x = px(tick)
            canvas.line(from: (x, Double(top)), to: (x, Double(height - bottom)), color: gridColor)
            canvas.line(from: (x, Double(height - bottom)), to: (x, Double(height - bottom + 5)), color: axisColor)
            let label = Self.format(tick, step: 1)
            canvas.text(label, x: Int(x) - RasterCanvas.textWidth(label, scale: 2) / 2, y: height - bottom + 9,
                        color: axisColor, scale: 2)
        }
        canvas.line(from: (Double(left), Double(top)), to: (Double(left), Double(height - bottom)), color: axisColor, thickness: 2)
        canvas.line(from: (Double(left), Double(height - bottom)), to: (Double(width - right), Double(height - bottom)),
                    color: axisColor, thickness: 2)

        // Bands under the lines, then lines and markers.
        for s in series {
            guard let band = s.band else { continue }
            let keep = s.xs.indices.filter { band.low[$0].isFinite && band.high[$0].isFinite }
            canvas.band(xs: keep.map { px(s.xs[$0]) }, upper: keep.map { py(band.high[$0]) },
                        lower: keep.map { py(band.low[$0]) }, color: s.color.lightened(0.78))
        }
        for s in series {
            let keep = s.xs.indices.filter { s.ys[$0].isFinite }
            for (a, b) in zip(keep, keep.dropFirst()) {
                canvas.line(from: (px(s.xs[a]), py(s.ys[a])), to: (px(s.xs[b]), py(s.ys[b])), color: s.color, thickness: 3)
            }
            for i in keep { canvas.disc(center: (px(s.xs[i]), py(s.ys[i])), radius: 4, color: s.color) }
        }

        // Titles.
        canvas.text(title, x: (width - RasterCanvas.textWidth(title, scale: 2)) / 2, y: 12, color: .black, scale: 2)
        canvas.text(xLabel, x: left + (Int(plotWidth) - RasterCanvas.textWidth(xLabel, scale: 2)) / 2,
                    y: height - 22, color: .black, scale: 2)
        canvas.verticalText(yLabel, x: 10, y: top + (Int(plotHeight) + RasterCanvas.textWidth(yLabel, scale: 2)) / 2,
                            color: .black, scale: 2)

        // Legend.
        let legendX = width - legendWidth - 20, legendY = top + 4
        for (i, s) in series.enumerated() {
            let y = Double(legendY + i * rowHeight + 7)
            canvas.line(from: (Double(legendX), y), to: (Double(legendX + 28), y), color: s.color, thickness: 3)
            canvas.disc(center: (Double(legendX + 14), y), radius: 4, color: s.color)
            canvas.text(s.name, x: legendX + 36, y: Int(y) - 7, color: .black, scale: 2)
        }
        return canvas
    }

    private func xTransform(_ x: Double) -> Double { xLogarithmic ? log2(max(x, 1e-9)) : x }

    private func xTicks(low: Double, high: Double) -> [Double] {
        if xLogarithmic {
            let values = series.flatMap(\.xs)
            let lo = Int((values.min() ?? 1).rounded(.down)), hi = Int((values.max() ?? 1).rounded(.up))
            return stride(from: 0, through: 20, by: 1).map { Double(1 << $0) }.filter { $0 >= Double(lo) && $0 <= Double(hi) }
        }
        // Example numbers are integers: never a fractional tick.
        return Self.niceTicks(low: low, high: high, minimumStep: 1).filter { $0 >= low - 1e-9 && $0 <= high + 1e-9 }
    }

    /// Ticks at 1, 2 or 5 times a power of ten covering low...high, about five of them.
    static func niceTicks(low: Double, high: Double, count: Int = 5, minimumStep: Double = 0) -> [Double] {
        let span = max(high - low, 1e-9)
        let raw = max(span / Double(count), minimumStep)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = (low / step).rounded(.down) * step
        let last = (high / step).rounded(.up) * step
        return stride(from: first, through: last + step / 2, by: step).map { ($0 / step).rounded() * step }
    }

    /// A tick label with as many decimals as the step needs.
    static func format(_ value: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : min(4, Int((-log10(step)).rounded(.up)))
        return String(format: "%.\(decimals)f", value)
    }
}
