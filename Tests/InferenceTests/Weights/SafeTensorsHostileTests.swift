import Testing
@testable import Inference

/// Each malformed file must end in its own error case, never a trap.
@Suite struct SafeTensorsHostileTests {
    private func decode(_ bytes: [UInt8], limits: SafeTensors.Limits = .init()) throws(SafeTensorsError) -> WeightsFile {
        try SafeTensors.decode(bytes, limits: limits)
    }

    private func entry(_ name: String, _ shape: String, _ begin: Int, _ end: Int) -> String {
        entry(name, "F32", shape, begin, end)
    }

    private func entry(_ name: String, _ dtype: String, _ shape: String, _ begin: Int, _ end: Int) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
    }

    @Test func tooShortForTheLength() {
        #expect(throws: SafeTensorsError.fileTooShort(size: 0)) { try decode([]) }
        #expect(throws: SafeTensorsError.fileTooShort(size: 7)) { try decode([1, 0, 0, 0, 0, 0, 0]) }
    }

    @Test func headerLengthOverTheCap() {
        let bytes = rawSafeTensors("{}", declaredLength: UInt64.max)
        #expect(throws: SafeTensorsError.headerTooLarge(length: UInt64.max, limit: 100_000_000)) { try decode(bytes) }
        var limits = SafeTensors.Limits()
        limits.maxHeaderBytes = 1
        #expect(throws: SafeTensorsError.headerTooLarge(length: 2, limit: 1)) { try decode(rawSafeTensors("{}"), limits: limits) }
    }

    @Test func headerLengthBeyondTheFile() {
        #expect(throws: SafeTensorsError.headerBeyondFile(length: 100, available: 2)) {
            try decode(rawSafeTensors("{}", declaredLength: 100))
        }
    }

    @Test func badJSON() {
        for text in ["", "{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":01}",
                     "{\"a\":\"\u{01}\"}", "{} x", "{\"a\":\"\\ud800\"}", String(repeating: "[", count: 40)] {
            do throws(SafeTensorsError) {
                _ = try decode(rawSafeTensors(text))
                Issue.record("\(text) decoded")
            } catch {
                guard case .invalidHeaderJSON = error else { Issue.record("\(text): \(error)"); continue }
            }
        }
        // Invalid UTF-8 inside a string.
        var bytes = rawSafeTensors("{\"ab\":1}")
        bytes[10] = 0xFF
        #expect(throws: SafeTensorsError.invalidHeaderJSON(offset: 5, reason: "string is not valid UTF-8")) { try decode(bytes) }
    }

    @Test func headerNotAnObject() {
        #expect(throws: SafeTensorsError.headerNotObject(found: "an array")) { try decode(rawSafeTensors("[]")) }
    }

    @Test func duplicateKeys() {
        let header = "{" + entry("a", "[1]", 0, 4) + "," + entry("a", "[1]", 4, 8) + "}"
        #expect(throws: SafeTensorsError.duplicateTensor(name: "a")) { try decode(rawSafeTensors(header, buffer: .init(repeating: 0, count: 8))) }
        let field = #"{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}"#
        #expect(throws: SafeTensorsError.duplicateTensorField(tensor: "a", field: "dtype")) { try decode(rawSafeTensors(field, buffer: [0, 0, 0, 0])) }
        let meta = #"{"__metadata__":{"k":"1","k":"2"}}"#
        #expect(throws: SafeTensorsError.duplicateMetadataKey(key: "k")) { try decode(rawSafeTensors(meta)) }
        let twice = #"{"__metadata__":{},"__metadata__":{}}"#
        #expect(throws: SafeTensorsError.invalidMetadata(key: nil, reason: "it appears twice")) { try decode(rawSafeTensors(twice)) }
    }

    @Test func malformedMetadata() {
        #expect(throws: SafeTensorsError.invalidMetadata(key: nil, reason: "it is an array, not an object")) {
            try decode(rawSafeTensors(#"{"__metadata__":[]}"#))
        }
        #expect(throws: SafeTensorsError.invalidMetadata(key: "levels", reason: "the value is a number, not a string")) {
            try decode(rawSafeTensors(#"{"__metadata__":{"levels":4}}"#))
        }
    }

    @Test func malformedEntries() {
        #expect(throws: SafeTensorsError.tensorEntryNotObject(tensor: "a", found: "a string")) { try decode(rawSafeTensors(#"{"a":"x"}"#)) }
        #expect(throws: SafeTensorsError.missingTensorField(tensor: "a", field: "dtype")) {
            try decode(rawSafeTensors(#"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, buffer: [0, 0, 0, 0]))
        }
        #expect(throws: SafeTensorsError.missingTensorField(tensor: "a", field: "shape")) {
            try decode(rawSafeTensors(#"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, buffer: [0, 0, 0, 0]))
        }
        #expect(throws: SafeTensorsError.missingTensorField(tensor: "a", field: "data_offsets")) {
            try decode(rawSafeTensors(#"{"a":{"dtype":"F32","shape":[1]}}"#, buffer: [0, 0, 0, 0]))
        }
        #expect(throws: SafeTensorsError.invalidTensorField(tensor: "a", field: "dtype", expected: "a string such as \"F32\"")) {
            try decode(rawSafeTensors(#"{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#, buffer: [0, 0, 0, 0]))
        }
        for shape in ["4", "[1.5]", "[\"1\"]", "[1e2]", "[" + Array(repeating: "1", count: 17).joined(separator: ",") + "]"] {
            #expect(throws: SafeTensorsError.invalidTensorField(tensor: "a", field: "shape", expected: "an array of at most 16 non-negative integers")) {
                try decode(rawSafeTensors("{" + entry("a", shape, 0, 4) + "}", buffer: [0, 0, 0, 0]))
            }
        }
        for offsets in ["[0]", "[0,4,8]", "[-1,4]", "[0,4.0]", "{}", "[0,99999999999999999999]"] {
            let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":"# + offsets + "}}"
            #expect(throws: SafeTensorsError.invalidTensorField(tensor: "a", field: "data_offsets", expected: "an array of two non-negative integers [begin, end]")) {
                try decode(rawSafeTensors(header, buffer: [0, 0, 0, 0]))
            }
        }
    }

    @Test func negativeAndHugeDimensions() {
        #expect(throws: SafeTensorsError.negativeDimension(tensor: "a", shape: "[2, -2]")) {
            try decode(rawSafeTensors("{" + entry("a", "[2,-2]", 0, 4) + "}", buffer: [0, 0, 0, 0]))
        }
        #expect(throws: SafeTensorsError.sizeOverflow(tensor: "a", shape: "[99999999999999999999]")) {
            try decode(rawSafeTensors("{" + entry("a", "[99999999999999999999]", 0, 4) + "}", buffer: [0, 0, 0, 0]))
        }
        // Each dimension fits, their product does not.
        #expect(throws: SafeTensorsError.sizeOverflow(tensor: "a", shape: "[4294967296, 4294967296]")) {
            try decode(rawSafeTensors("{" + entry("a", "[4294967296,4294967296]", 0, 4) + "}", buffer: [0, 0, 0, 0]))
        }
        // The element count fits, times 4 bytes it does not.
        #expect(throws: SafeTensorsError.sizeOverflow(tensor: "a", shape: "[4611686018427387904]")) {
            try decode(rawSafeTensors("{" + entry("a", "[4611686018427387904]", 0, 4) + "}", buffer: [0, 0, 0, 0]))
        }
    }

    @Test func unsupportedDTypesNameTheTensor() {
        for dtype in ["I64", "F64", "U8", "BOOL", "F8_E4M3", "float32", ""] {
            #expect(throws: SafeTensorsError.unsupportedDType(tensor: "layer.weight", dtype: dtype)) {
                try decode(rawSafeTensors("{" + entry("layer.weight", dtype, "[1]", 0, 8) + "}", buffer: .init(repeating: 0, count: 8)))
            }
        }
    }

    @Test func offsetsInvertedOrOutside() {
        #expect(throws: SafeTensorsError.invertedOffsets(tensor: "a", begin: 8, end: 4)) {
            try decode(rawSafeTensors("{" + entry("a", "[1]", 8, 4) + "}", buffer: .init(repeating: 0, count: 8)))
        }
        #expect(throws: SafeTensorsError.offsetsOutsideBuffer(tensor: "a", end: 12, bufferSize: 8)) {
            try decode(rawSafeTensors("{" + entry("a", "[1]", 8, 12) + "}", buffer: .init(repeating: 0, count: 8)))
        }
        #expect(throws: SafeTensorsError.offsetsOutsideBuffer(tensor: "a", end: Int.max, bufferSize: 8)) {
            try decode(rawSafeTensors("{" + entry("a", "[1]", Int.max - 4, Int.max) + "}", buffer: .init(repeating: 0, count: 8)))
        }
    }

    @Test func shapeTimesDTypeMismatch() {
        #expect(throws: SafeTensorsError.sizeMismatch(tensor: "a", shape: [2, 3], dtype: "F32", expectedBytes: 24, actualBytes: 20)) {
            try decode(rawSafeTensors("{" + entry("a", "[2,3]", 0, 20) + "}", buffer: .init(repeating: 0, count: 24)))
        }
        #expect(throws: SafeTensorsError.sizeMismatch(tensor: "h", shape: [2], dtype: "F16", expectedBytes: 4, actualBytes: 8)) {
            try decode(rawSafeTensors("{" + entry("h", "F16", "[2]", 0, 8) + "}", buffer: .init(repeating: 0, count: 8)))
        }
    }

    @Test func overlappingTensors() {
        let header = "{" + entry("b", "[2]", 4, 12) + "," + entry("a", "[2]", 0, 8) + "}"
        #expect(throws: SafeTensorsError.overlappingTensors(first: "a", second: "b")) {
            try decode(rawSafeTensors(header, buffer: .init(repeating: 0, count: 12)))
        }
        let same = "{" + entry("a", "[1]", 0, 4) + "," + entry("b", "[1]", 0, 4) + "}"
        #expect(throws: SafeTensorsError.overlappingTensors(first: "a", second: "b")) {
            try decode(rawSafeTensors(same, buffer: .init(repeating: 0, count: 4)))
        }
    }

    @Test func sizeAndCountLimits() {
        let header = "{" + entry("a", "[2]", 0, 8) + "," + entry("b", "[2]", 8, 16) + "}"
        let bytes = rawSafeTensors(header, buffer: .init(repeating: 0, count: 16))
        var limits = SafeTensors.Limits()
        limits.maxTotalBytes = 12
        #expect(throws: SafeTensorsError.totalSizeTooLarge(bytes: 16, limit: 12)) { try decode(bytes, limits: limits) }
        limits = SafeTensors.Limits()
        limits.maxTensorCount = 1
        #expect(throws: SafeTensorsError.tooManyTensors(count: 2, limit: 1)) { try decode(bytes, limits: limits) }
        // An empty-looking header cannot claim a huge tensor: the shape must match the offsets.
        let huge = "{" + entry("a", "[1000000000000]", 0, 4) + "}"
        #expect(throws: SafeTensorsError.sizeMismatch(tensor: "a", shape: [1_000_000_000_000], dtype: "F32", expectedBytes: 4_000_000_000_000, actualBytes: 4)) {
            try decode(rawSafeTensors(huge, buffer: [0, 0, 0, 0]))
        }
    }

    @Test func errorMessagesNameTheTensorAndSayWhatToDo() {
        let error = SafeTensorsError.unsupportedDType(tensor: "enc_blocks.0.cross.cross_conv.weight", dtype: "I64")
        #expect(error.description.contains("enc_blocks.0.cross.cross_conv.weight"))
        #expect(error.description.contains("convert"))
    }
}
