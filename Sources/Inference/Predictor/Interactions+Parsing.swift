/// A point, box or scribble written as text could not be read.
public enum InteractionParseError: Error, Equatable, CustomStringConvertible {
    case malformed(kind: String, text: String, expected: String)

    public var description: String {
        switch self {
        case let .malformed(kind, text, expected):
            return "cannot read \(kind) '\(text)': write it as \(expected)"
        }
    }
}

extension ImagePoint {
    /// Reads "x,y" (pixel indices, decimals allowed).
    ///
    /// ```swift
    /// try ImagePoint(parsing: "120,80.5")   // x 120, y 80.5
    /// ```
    public init(parsing text: String) throws {
        let numbers = parseNumbers(text)
        guard let numbers, numbers.count == 2 else {
            throw InteractionParseError.malformed(kind: "point", text: text, expected: "x,y (e.g. 120,80)")
        }
        self.init(x: numbers[0], y: numbers[1])
    }
}

extension ImageBox {
    /// Reads "x0,y0,x1,y1": two opposite corner pixels.
    ///
    /// ```swift
    /// try ImageBox(parsing: "10,20,110,90")
    /// ```
    public init(parsing text: String) throws {
        guard let n = parseNumbers(text), n.count == 4 else {
            throw InteractionParseError.malformed(kind: "box", text: text, expected: "x0,y0,x1,y1 (e.g. 10,20,110,90)")
        }
        self.init(x0: n[0], y0: n[1], x1: n[2], y1: n[3])
    }
}

extension Scribble {
    /// Reads "x,y;x,y;..." — the polyline's points, separated by semicolons.
    ///
    /// ```swift
    /// try Scribble(parsing: "10,10;40,12;80,30", width: 3)
    /// ```
    public init(parsing text: String, width: Double? = nil) throws {
        let parts = text.split(separator: ";", omittingEmptySubsequences: true)
        guard !parts.isEmpty else {
            throw InteractionParseError.malformed(kind: "scribble", text: text, expected: "x,y;x,y;... (e.g. 10,10;40,12)")
        }
        do {
            self.init(points: try parts.map { try ImagePoint(parsing: String($0)) }, width: width)
        } catch {
            throw InteractionParseError.malformed(kind: "scribble", text: text, expected: "x,y;x,y;... (e.g. 10,10;40,12)")
        }
    }
}

/// Comma-separated finite decimals, spaces allowed; nil if anything else is in the text.
private func parseNumbers(_ text: String) -> [Double]? {
    var numbers: [Double] = []
    for field in text.split(separator: ",", omittingEmptySubsequences: false) {
        let trimmed = String(field.filter { !$0.isWhitespace })
        guard let value = Double(trimmed), value.isFinite else { return nil }
        numbers.append(value)
    }
    return numbers
}
