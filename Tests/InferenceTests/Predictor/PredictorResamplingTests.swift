import Foundation
import Testing

@testable import Inference

/// One case of Fixtures/resample_golden.txt (see make_resample_golden.py there).
struct ResampleGoldenCase {
    var kind: String
    var inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    var antialias: Bool
    var input: [Float] = []
    var output: [Float] = []

    static func load() throws -> [ResampleGoldenCase] {
        let url = try #require(Bundle.module.url(forResource: "resample_golden", withExtension: "txt",
                                                  subdirectory: "Fixtures"))
        let text = try String(contentsOf: url, encoding: .utf8)
        var cases: [ResampleGoldenCase] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ")
            switch fields.first {
            case "case":
                let n = fields[2...6].map { Int($0)! }
                cases.append(ResampleGoldenCase(kind: String(fields[1]), inputHeight: n[0], inputWidth: n[1],
                                                outputHeight: n[2], outputWidth: n[3], antialias: n[4] == 1))
            case "input": cases[cases.count - 1].input = fields.dropFirst().map { Float($0)! }
            case "output": cases[cases.count - 1].output = fields.dropFirst().map { Float($0)! }
            default: Issue.record("unexpected fixture line \(line.prefix(40))")
            }
        }
        return cases
    }
}

/// Largest |a - b| and whether every element is within atol + rtol * |b|.
func compare(_ a: [Float], _ b: [Float], atol: Float = 1e-5, rtol: Float = 1e-5) -> (maxDiff: Float, ok: Bool) {
    guard a.count == b.count else { return (.infinity, false) }
    var maxDiff: Float = 0
    var ok = true
    for i in a.indices {
        let d = abs(a[i] - b[i])
        maxDiff = max(maxDiff, d)
        if d > atol + rtol * abs(b[i]) { ok = false }
    }
    return (maxDiff, ok)
}

@Suite("Predictor resampling")
struct PredictorResamplingTests {
    @Test func matchesPyTorchInterpolateGoldenData() throws {
        let cases = try ResampleGoldenCase.load()
        #expect(cases.count == 13)
        for c in cases {
            let filter: ResampleFilter = c.antialias ? .antialiasedBilinear : .bilinear
            let got: [Float]
            switch c.kind {
            case "plain":
                got = resample2D(
                    c.input, inputWidth: c.inputWidth, inputHeight: c.inputHeight,
                    rows: ResampleAxis(virtualCount: c.inputHeight, outputCount: c.outputHeight, filter: filter),
                    columns: ResampleAxis(virtualCount: c.inputWidth, outputCount: c.outputWidth, filter: filter))
            case "to_net":
                let g = SquareGeometry(width: c.inputWidth, height: c.inputHeight, resolution: c.outputWidth)
                // The fixture says which filter torch used; pick the threshold that selects it.
                got = g.toNetwork(c.input, antialiasAbove: c.antialias ? 1 : .infinity)
            case "from_net":
                let g = SquareGeometry(width: c.outputWidth, height: c.outputHeight, resolution: c.inputWidth)
                got = g.fromNetwork(c.input, antialiasAbove: c.antialias ? 0 : .infinity)
            default:
                Issue.record("unknown case kind \(c.kind)")
                continue
            }
            let (maxDiff, ok) = compare(got, c.output)
            print("resample \(c.kind) \(c.inputHeight)x\(c.inputWidth) -> \(c.outputHeight)x\(c.outputWidth) "
                  + "aa=\(c.antialias): max |diff| \(maxDiff)")
            #expect(ok, "\(c.kind) \(c.inputHeight)x\(c.inputWidth) -> \(c.outputHeight)x\(c.outputWidth): max diff \(maxDiff)")
        }
    }

    @Test func halvingAveragesPairsAndEnlargingClampsAtTheBorders() {
        let down = ResampleAxis(virtualCount: 4, outputCount: 2, filter: .bilinear)
        #expect(resample2D([0, 1, 2, 3], inputWidth: 4, inputHeight: 1,
                           rows: ResampleAxis(virtualCount: 1, outputCount: 1, filter: .bilinear),
                           columns: down) == [0.5, 2.5])
        let up = ResampleAxis(virtualCount: 2, outputCount: 4, filter: .bilinear)
        #expect(resample2D([0, 1], inputWidth: 2, inputHeight: 1,
                           rows: ResampleAxis(virtualCount: 1, outputCount: 1, filter: .bilinear),
                           columns: up) == [0, 0.25, 0.75, 1])
    }

    @Test func antialiasedShrinkReadsEveryPixel() {
        // 8 -> 2 with a single bright pixel: bilinear at factor 4 reads only pixels 1,2 and 5,6
        // and misses pixel 0; the triangle filter does not.
        let row: [Float] = [1, 0, 0, 0, 0, 0, 0, 0]
        let one = ResampleAxis(virtualCount: 1, outputCount: 1, filter: .bilinear)
        let plain = resample2D(row, inputWidth: 8, inputHeight: 1, rows: one,
                               columns: ResampleAxis(virtualCount: 8, outputCount: 2, filter: .bilinear))
        let smooth = resample2D(row, inputWidth: 8, inputHeight: 1, rows: one,
                                columns: ResampleAxis(virtualCount: 8, outputCount: 2, filter: .antialiasedBilinear))
        #expect(plain == [0, 0])
        #expect(smooth[0] > 0.05 && smooth[1] == 0)
    }

    @Test func paddingIsZeroAndCropIsTheImage() {
        // A 1x3 image of ones in a 3x3 square (offset 1 row) at the same resolution: rows 0 and
        // 2 are padding; going back recovers the image exactly.
        let g = SquareGeometry(width: 3, height: 1, resolution: 3)
        #expect(g.offsetY == 1 && g.offsetX == 0)
        let net = g.toNetwork([1, 1, 1])
        #expect(net == [0, 0, 0, 1, 1, 1, 0, 0, 0])
        #expect(g.fromNetwork(net) == [1, 1, 1])
    }

    @Test func oddPaddingPutsTheExtraPixelRightAndBottom() {
        #expect(SquareGeometry(width: 100, height: 103, resolution: 128).offsetX == 1)
        #expect(SquareGeometry(width: 103, height: 100, resolution: 128).offsetY == 1)
        #expect(SquareGeometry(width: 100, height: 101, resolution: 128).offsetX == 0)
    }

    @Test func filterChoiceFollowsTheShrinkFactor() {
        #expect(SquareGeometry.filter(shrinkFactor: 2, antialiasAbove: 2) == .bilinear)
        #expect(SquareGeometry.filter(shrinkFactor: 2.01, antialiasAbove: 2) == .antialiasedBilinear)
    }
}
