@testable import Evaluation
import Imaging

/// Masks drawn from text: '#' is foreground, anything else background, one string per row.
func mask(_ rows: [String]) -> BinaryMask {
    let width = rows[0].count
    precondition(rows.allSatisfy { $0.count == width })
    return BinaryMask(width: width, height: rows.count, pixels: rows.flatMap { $0.map { $0 == "#" } })
}

/// A filled axis-aligned rectangle [x0, x1) x [y0, y1) in a width x height mask.
func rectangle(width: Int, height: Int, x0: Int, y0: Int, x1: Int, y1: Int) -> BinaryMask {
    var m = BinaryMask(width: width, height: height)
    for y in y0..<y1 { for x in x0..<x1 { m[x, y] = true } }
    return m
}
