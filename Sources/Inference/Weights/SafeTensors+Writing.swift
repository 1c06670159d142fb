extension SafeTensors {
    /// Encodes `weights` as safetensors bytes, deterministically: tensors sorted by name, their data
    /// packed in that order as little-endian F32, `__metadata__` first with sorted keys, and the
    /// header padded with spaces so the byte buffer starts 8-byte aligned.
    ///
    /// ```swift
    /// let bytes = try SafeTensors.encode(WeightsFile(metadata: ["arch": "multiverseg"], tensors: tensors))
    /// ```
    public static func encode(_ weights: WeightsFile) throws(SafeTensorsError) -> [UInt8] {
        let names = weights.tensors.keys.sorted()
        if names.contains("__metadata__") { throw .reservedTensorName(name: "__metadata__") }

        var parts: [String] = []
        if !weights.metadata.isEmpty {
            let items = weights.metadata.keys.sorted().map { key in
                HeaderJSONWriter.quoted(key) + ":" + HeaderJSONWriter.quoted(weights.metadata[key]!)
            }
            parts.append("\"__metadata__\":{" + items.joined(separator: ",") + "}")
        }
        var offset = 0
        for name in names {
            let tensor = weights.tensors[name]!
            let end = offset + tensor.count * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            parts.append(
                HeaderJSONWriter.quoted(name)
                    + ":{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        while (8 + header.count) % 8 != 0 { header.append(0x20) }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        for name in names {
            for value in weights.tensors[name]!.values {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            }
        }
        return bytes
    }

    /// Writes `weights` to `path` atomically (see `encode`). Throws `SafeTensorsError` or
    /// `WeightsIOError`.
    public static func write(_ weights: WeightsFile, to path: String) throws {
        try WeightsFileSystem.writeFileAtomically(try encode(weights), toPath: path)
    }
}
