/// Why DEFLATE data could not be decoded.
struct InflateError: Error, Equatable {
    var reason: String
}

/// A raw DEFLATE (RFC 1951) decoder for ZIP method 8. Output is capped at `limit` bytes, so a
/// small hostile stream cannot expand without bound; every length, distance and code is checked.
/// Huffman codes are decoded one bit at a time against canonical code counts: slower than table
/// lookup, but with no table to overrun.
enum Inflate {
    /// Decodes `input` completely; throws if it is malformed or would produce more than `limit` bytes.
    ///
    /// ```swift
    /// let data = try Inflate.decompress(compressed[...], limit: entry.uncompressedSize)
    /// ```
    static func decompress(_ input: ArraySlice<UInt8>, limit: Int) throws(InflateError) -> [UInt8] {
        var state = InflateState(input: input, limit: limit)
        try state.run()
        return state.output
    }
}

/// A canonical Huffman code: how many codes of each length, and the symbols in code order.
private struct HuffmanCode {
    var counts = [Int](repeating: 0, count: 16)
    var symbols: [Int] = []

    /// Builds the code from per-symbol lengths (0 = unused). Over-subscribed sets are refused;
    /// incomplete ones are allowed (DEFLATE permits them), and decoding a missing code fails.
    init(lengths: [Int]) throws(InflateError) {
        for length in lengths { counts[length] += 1 }
        counts[0] = 0
        var left = 1
        for length in 1...15 {
            left = left * 2 - counts[length]
            if left < 0 { throw InflateError(reason: "over-subscribed Huffman code") }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
        symbols = [Int](repeating: 0, count: lengths.count)
        for (symbol, length) in lengths.enumerated() where length != 0 {
            symbols[offsets[length]] = symbol
            offsets[length] += 1
        }
    }
}

private struct InflateState {
    let input: ArraySlice<UInt8>
    let limit: Int
    var position: Int
    var bitBuffer: UInt32 = 0
    var bitCount = 0
    var output: [UInt8] = []

    init(input: ArraySlice<UInt8>, limit: Int) {
        self.input = input
        self.limit = limit
        position = input.startIndex
        output.reserveCapacity(min(limit, 64 << 20))
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                               2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// `count` bits (at most 16), least significant first.
    mutating func bits(_ count: Int) throws(InflateError) -> Int {
        while bitCount < count {
            guard position < input.endIndex else { throw InflateError(reason: "compressed data ends early") }
            bitBuffer |= UInt32(input[position]) << UInt32(bitCount)
            position += 1
            bitCount += 8
        }
        let value = Int(bitBuffer & ((1 << UInt32(count)) - 1))
        bitBuffer >>= UInt32(count)
        bitCount -= count
        return value
    }

    mutating func decode(_ code: HuffmanCode) throws(InflateError) -> Int {
        var value = 0, first = 0, index = 0
        for length in 1...15 {
            value |= try bits(1)
            let count = code.counts[length]
            if value - first < count { return code.symbols[index + value - first] }
            index += count
            first = (first + count) << 1
            value <<= 1
        }
        throw InflateError(reason: "invalid Huffman code")
    }

    mutating func run() throws(InflateError) {
        var last = false
        while !last {
            last = try bits(1) == 1
            switch try bits(2) {
            case 0: try storedBlock()
            case 1: try fixedBlock()
            case 2: try dynamicBlock()
            default: throw InflateError(reason: "invalid block type 3")
            }
        }
    }

    mutating func append(_ byte: UInt8) throws(InflateError) {
        guard output.count < limit else { throw InflateError(reason: "data expands past the declared size") }
        output.append(byte)
    }

    mutating func storedBlock() throws(InflateError) {
        bitBuffer = 0
        bitCount = 0
        guard input.endIndex - position >= 4 else { throw InflateError(reason: "compressed data ends early") }
        let length = Int(input[position]) | Int(input[position + 1]) << 8
        let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
        position += 4
        guard length == ~complement & 0xFFFF else { throw InflateError(reason: "stored block length check failed") }
        guard input.endIndex - position >= length else { throw InflateError(reason: "compressed data ends early") }
        guard output.count + length <= limit else { throw InflateError(reason: "data expands past the declared size") }
        output.append(contentsOf: input[position..<(position + length)])
        position += length
    }

    mutating func fixedBlock() throws(InflateError) {
        var lengths = [Int](repeating: 8, count: 288)
        for symbol in 144..<256 { lengths[symbol] = 9 }
        for symbol in 256..<280 { lengths[symbol] = 7 }
        let literals = try HuffmanCode(lengths: lengths)
        let distances = try HuffmanCode(lengths: [Int](repeating: 5, count: 30))
        try codes(literals, distances)
    }

    mutating func dynamicBlock() throws(InflateError) {
        let literalCount = try bits(5) + 257
        let distanceCount = try bits(5) + 1
        let codeLengthCount = try bits(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw InflateError(reason: "too many length or distance codes") }
        var codeLengths = [Int](repeating: 0, count: 19)
        for i in 0..<codeLengthCount { codeLengths[Self.codeLengthOrder[i]] = try bits(3) }
        let lengthCode = try HuffmanCode(lengths: codeLengths)

        var lengths: [Int] = []
        lengths.reserveCapacity(literalCount + distanceCount)
        while lengths.count < literalCount + distanceCount {
            let symbol = try decode(lengthCode)
            var repeatValue = 0
            var repeatCount: Int
            switch symbol {
            case 0...15:
                lengths.append(symbol)
                continue
            case 16:
                guard let previous = lengths.last else { throw InflateError(reason: "length repeat with no previous length") }
                repeatValue = previous
                repeatCount = 3 + (try bits(2))
            case 17: repeatCount = 3 + (try bits(3))
            default: repeatCount = 11 + (try bits(7))
            }
            guard lengths.count + repeatCount <= literalCount + distanceCount else {
                throw InflateError(reason: "code lengths overrun")
            }
            lengths.append(contentsOf: repeatElement(repeatValue, count: repeatCount))
        }
        guard lengths[256] != 0 else { throw InflateError(reason: "no end-of-block code") }
        let literals = try HuffmanCode(lengths: Array(lengths[..<literalCount]))
        let distances = try HuffmanCode(lengths: Array(lengths[literalCount...]))
        try codes(literals, distances)
    }

    mutating func codes(_ literals: HuffmanCode, _ distances: HuffmanCode) throws(InflateError) {
        while true {
            let symbol = try decode(literals)
            if symbol < 256 {
                try append(UInt8(symbol))
                continue
            }
            if symbol == 256 { return }
            let lengthIndex = symbol - 257
            guard lengthIndex < Self.lengthBase.count else { throw InflateError(reason: "invalid length code") }
            let length = Self.lengthBase[lengthIndex] + (try bits(Self.lengthExtra[lengthIndex]))
            let distanceSymbol = try decode(distances)
            guard distanceSymbol < Self.distanceBase.count else { throw InflateError(reason: "invalid distance code") }
            let distance = Self.distanceBase[distanceSymbol] + (try bits(Self.distanceExtra[distanceSymbol]))
            guard distance <= output.count else { throw InflateError(reason: "distance reaches before the start") }
            guard output.count + length <= limit else { throw InflateError(reason: "data expands past the declared size") }
            let start = output.count - distance
            // Byte by byte: the copy may overlap what it is producing (distance < length).
            for i in 0..<length { output.append(output[start + i]) }
        }
    }
}
