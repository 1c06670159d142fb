import ZIP
/// Reading and writing the safetensors format: an 8-byte little-endian header length N, N bytes of
/// JSON header `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`,
/// then the byte buffer that `data_offsets` index. Every file is treated as hostile: all numbers
/// are checked before use and each failure is its own `SafeTensorsError` case.
///
/// ```swift
/// let weights = try SafeTensors.read(contentsOf: "model.safetensors")
/// try SafeTensors.write(weights, to: "copy.safetensors")
/// ```
public enum SafeTensors {
    /// Caps that bound what a file can make the reader allocate.
    public struct Limits: Sendable, Equatable {
        /// Largest accepted JSON header (the reference implementation uses the same 100 MB).
        public var maxHeaderBytes: Int = 100_000_000
        /// Largest accepted file on disk.
        public var maxFileBytes: Int64 = 16 << 30
        /// Largest total of all tensors once converted to Float.
        public var maxTotalBytes: Int = 8 << 30
        /// Most tensors in one file.
        public var maxTensorCount: Int = 100_000

        public init() {}
    }

    /// Largest accepted rank; network tensors have at most 4 dimensions.
    static let maximumRank = 16

    /// One tensor's header entry, with its byte range relative to the start of the byte buffer.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var dtype: StoredScalarType
        public var shape: [Int]
        public var byteRange: Range<Int>

        public var elementCount: Int { shape.reduce(1, *) }
    }

    /// A checked header: every entry is known to lie inside the buffer, sized by its shape and
    /// disjoint from the others.
    public struct Header: Sendable, Equatable {
        public var metadata: [String: String]
        /// Entries in header order.
        public var entries: [Entry]
        /// Offset of the byte buffer in the file (8 + header length).
        public var bufferOffset: Int
    }

    /// Parses and checks the header of the file held in `bytes`, without decoding any tensor.
    public static func parseHeader(
        _ bytes: UnsafeRawBufferPointer, limits: Limits = Limits()
    ) throws(SafeTensorsError) -> Header {
        guard let declared = bytes.littleEndianUInt64(at: 0) else { throw .fileTooShort(size: bytes.count) }
        guard declared <= UInt64(limits.maxHeaderBytes) else {
            throw .headerTooLarge(length: declared, limit: limits.maxHeaderBytes)
        }
        let available = bytes.count - 8
        guard declared <= UInt64(available) else { throw .headerBeyondFile(length: declared, available: available) }
        let headerLength = Int(declared)
        let json: HeaderJSON
        do {
            json = try HeaderJSONParser.parse(Array(bytes[8..<(8 + headerLength)]))
        } catch {
            throw .invalidHeaderJSON(offset: error.offset, reason: error.reason)
        }
        guard case .object(let members) = json else { throw .headerNotObject(found: json.kindName) }

        let bufferOffset = 8 + headerLength
        let bufferSize = bytes.count - bufferOffset
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        var seen = Set<String>()
        var totalFloatBytes = 0
        for member in members {
            let (name, value) = (member.key, member.value)
            guard seen.insert(name).inserted else {
                if name == "__metadata__" { throw .invalidMetadata(key: nil, reason: "it appears twice") }
                throw .duplicateTensor(name: name)
            }
            if name == "__metadata__" {
                metadata = try parseMetadata(value)
                continue
            }
            guard entries.count < limits.maxTensorCount else {
                throw .tooManyTensors(count: members.count - (seen.contains("__metadata__") ? 1 : 0), limit: limits.maxTensorCount)
            }
            let entry = try parseEntry(name: name, value, bufferSize: bufferSize)
            let (floatBytes, overflow) = entry.elementCount.multipliedReportingOverflow(by: 4)
            let (sum, overflowSum) = totalFloatBytes.addingReportingOverflow(floatBytes)
            guard !overflow, !overflowSum, sum <= limits.maxTotalBytes else {
                throw .totalSizeTooLarge(bytes: overflow || overflowSum ? Int.max : sum, limit: limits.maxTotalBytes)
            }
            totalFloatBytes = sum
            entries.append(entry)
        }
        try checkDisjoint(entries)
        return Header(metadata: metadata, entries: entries, bufferOffset: bufferOffset)
    }

    private static func parseMetadata(_ value: HeaderJSON) throws(SafeTensorsError) -> [String: String] {
        guard case .object(let members) = value else {
            throw .invalidMetadata(key: nil, reason: "it is \(value.kindName), not an object")
        }
        var metadata: [String: String] = [:]
        for member in members {
            let (key, item) = (member.key, member.value)
            guard case .string(let text) = item else {
                throw .invalidMetadata(key: key, reason: "the value is \(item.kindName), not a string")
            }
            guard metadata.updateValue(text, forKey: key) == nil else { throw .duplicateMetadataKey(key: key) }
        }
        return metadata
    }

    private static func render(_ value: HeaderJSON) -> String {
        switch value {
        case .array(let items): "[" + items.map(render).joined(separator: ", ") + "]"
        case .number(let text): text
        case .string(let text): HeaderJSONWriter.quoted(text)
        case .bool(let flag): flag ? "true" : "false"
        case .null: "null"
        case .object: "{...}"
        }
    }

    private static func parseEntry(name: String, _ value: HeaderJSON, bufferSize: Int) throws(SafeTensorsError) -> Entry {
        guard case .object(let fields) = value else {
            throw .tensorEntryNotObject(tensor: name, found: value.kindName)
        }
        var byName: [String: HeaderJSON] = [:]
        for member in fields {
            let (field, item) = (member.key, member.value)
            guard byName.updateValue(item, forKey: field) == nil else {
                throw .duplicateTensorField(tensor: name, field: field)
            }
        }
        guard let dtypeValue = byName["dtype"] else { throw .missingTensorField(tensor: name, field: "dtype") }
        guard let shapeValue = byName["shape"] else { throw .missingTensorField(tensor: name, field: "shape") }
        guard let offsetsValue = byName["data_offsets"] else {
            throw .missingTensorField(tensor: name, field: "data_offsets")
        }
        guard case .string(let dtypeName) = dtypeValue else {
            throw .invalidTensorField(tensor: name, field: "dtype", expected: "a string such as \"F32\"")
        }

        let shapeExpectation = "an array of at most \(maximumRank) non-negative integers"
        guard case .array(let dims) = shapeValue, dims.count <= maximumRank else {
            throw .invalidTensorField(tensor: name, field: "shape", expected: shapeExpectation)
        }
        var shape: [Int] = []
        for dim in dims {
            if dim.isNegativeNumber { throw .negativeDimension(tensor: name, shape: render(shapeValue)) }
            guard case .number(let digits) = dim, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw .invalidTensorField(tensor: name, field: "shape", expected: shapeExpectation)
            }
            guard let size = dim.nonNegativeInteger else {
                throw .sizeOverflow(tensor: name, shape: render(shapeValue))
            }
            shape.append(size)
        }

        let offsetsExpectation = "an array of two non-negative integers [begin, end]"
        guard case .array(let offsets) = offsetsValue, offsets.count == 2 else {
            throw .invalidTensorField(tensor: name, field: "data_offsets", expected: offsetsExpectation)
        }
        guard let begin = offsets[0].nonNegativeInteger, let end = offsets[1].nonNegativeInteger else {
            throw .invalidTensorField(tensor: name, field: "data_offsets", expected: offsetsExpectation)
        }

        guard let dtype = StoredScalarType(rawValue: dtypeName) else {
            throw .unsupportedDType(tensor: name, dtype: dtypeName)
        }

        var elements = 1
        for size in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else { throw .sizeOverflow(tensor: name, shape: render(shapeValue)) }
            elements = product
        }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw .sizeOverflow(tensor: name, shape: render(shapeValue)) }

        guard begin <= end else { throw .invertedOffsets(tensor: name, begin: begin, end: end) }
        guard end <= bufferSize else { throw .offsetsOutsideBuffer(tensor: name, end: end, bufferSize: bufferSize) }
        guard end - begin == byteCount else {
            throw .sizeMismatch(
                tensor: name, shape: shape, dtype: dtypeName, expectedBytes: byteCount, actualBytes: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    private static func checkDisjoint(_ entries: [Entry]) throws(SafeTensorsError) {
        // Empty tensors own no bytes, so they cannot overlap anything.
        let sorted = entries.filter { !$0.byteRange.isEmpty }
            .sorted { ($0.byteRange.lowerBound, $0.name) < ($1.byteRange.lowerBound, $1.name) }
        for (previous, next) in zip(sorted, sorted.dropFirst())
        where next.byteRange.lowerBound < previous.byteRange.upperBound {
            throw .overlappingTensors(first: previous.name, second: next.name)
        }
    }

    /// Decodes a whole safetensors file held in memory.
    ///
    /// ```swift
    /// let weights = try SafeTensors.decode(bytes)
    /// ```
    public static func decode(_ bytes: [UInt8], limits: Limits = Limits()) throws(SafeTensorsError) -> WeightsFile {
        try withRawBytes(bytes) { raw throws(SafeTensorsError) in
            let header = try parseHeader(raw, limits: limits)
            var tensors: [String: Tensor] = [:]
            tensors.reserveCapacity(header.entries.count)
            for entry in header.entries {
                var values: [Float] = []
                entry.dtype.decode(
                    raw, offset: header.bufferOffset + entry.byteRange.lowerBound,
                    count: entry.elementCount, into: &values)
                tensors[entry.name] = Tensor(shape: entry.shape, values: values)
            }
            return WeightsFile(metadata: header.metadata, tensors: tensors)
        }
    }

    /// Reads and decodes the safetensors file at `path`; the file size is checked before reading.
    /// Throws `WeightsIOError` or `SafeTensorsError`.
    public static func read(contentsOf path: String, limits: Limits = Limits()) throws -> WeightsFile {
        let bytes = try WeightsFileSystem.readFile(atPath: path, maxBytes: limits.maxFileBytes)
        return try decode(bytes, limits: limits)
    }

    /// Reads the file at `path` once and returns both its checked header (stored dtypes, byte
    /// ranges) and its decoded contents.
    public static func readWithHeader(
        contentsOf path: String, limits: Limits = Limits()
    ) throws -> (header: Header, weights: WeightsFile) {
        let bytes = try WeightsFileSystem.readFile(atPath: path, maxBytes: limits.maxFileBytes)
        let header = try withRawBytes(bytes) { raw throws(SafeTensorsError) in try parseHeader(raw, limits: limits) }
        return (header, try decode(bytes, limits: limits))
    }
}

extension WeightsFile {
    /// Loads one of our weights files: reads it as safetensors (every check of `SafeTensors`) and
    /// checks `format` and `format_version`. The caller then validates the tensors against the
    /// network it builds from the metadata.
    ///
    /// ```swift
    /// let weights = try WeightsFile.load(contentsOf: "multiverseg-nf32.safetensors")
    /// try weights.validate(expected: network.expectedShapes)
    /// ```
    public static func load(contentsOf path: String, limits: SafeTensors.Limits = .init()) throws -> WeightsFile {
        let weights = try SafeTensors.read(contentsOf: path, limits: limits)
        try weights.checkFormat()
        return weights
    }
}
