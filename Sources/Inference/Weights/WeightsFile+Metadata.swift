/// The networks a weights file can hold (`arch` in the metadata).
public enum WeightsArchitecture: String, Sendable, CaseIterable {
    /// The in-context CrossBlock UNet (MultiverSeg).
    case multiverseg
    /// The interactive-only UNet (ScribblePrompt-UNet), used when the context set is empty.
    case scribblepromptUNet = "scribbleprompt-unet"
}

/// Why a `__metadata__` field could not be read.
public enum WeightsMetadataError: Error, CustomStringConvertible, Equatable {
    case missingKey(String)
    case malformedValue(key: String, value: String, expected: String)
    case wrongFormat(found: String)
    case unsupportedFormatVersion(found: Int, supported: Int)

    public var description: String {
        switch self {
        case .missingKey(let key):
            "the weights metadata has no '\(key)'; import or export the file again with this program's tools (see Docs/weights-format.md)"
        case .malformedValue(let key, let value, let expected):
            "the weights metadata '\(key)' is \"\(value)\", expected \(expected); fix the export script or import the file again"
        case .wrongFormat(let found):
            "the file's metadata format is \"\(found)\", not \"\(WeightsFile.formatName)\"; convert it with `multiverseg weights import`"
        case .unsupportedFormatVersion(let found, let supported):
            "the weights format version is \(found) but this program reads version \(supported); use a matching version of the program or export the file again"
        }
    }
}

/// Metadata key names (Docs/weights-format.md).
public enum WeightsMetadataKey {
    public static let format = "format"
    public static let formatVersion = "format_version"
    public static let arch = "arch"
    public static let features = "features"
    public static let levels = "levels"
    public static let resolution = "resolution"
    public static let inChannels = "in_channels"
    public static let contextChannels = "context_channels"
}

extension WeightsFile {
    /// Value of `format` in every file of ours.
    public static let formatName = "multiverseg-weights"
    /// The format version this code writes and reads.
    public static let formatVersion = 1

    private func string(_ key: String) throws(WeightsMetadataError) -> String {
        guard let value = metadata[key] else { throw .missingKey(key) }
        return value
    }

    /// A decimal integer in `range`, written without sign, spaces or leading zeros.
    private func integer(_ key: String, in range: ClosedRange<Int>) throws(WeightsMetadataError) -> Int {
        let text = try string(key)
        let expected = "a whole number from \(range.lowerBound) to \(range.upperBound)"
        guard !text.isEmpty, text.count <= 12, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              text == "0" || !text.hasPrefix("0"), let value = Int(text), range.contains(value)
        else { throw .malformedValue(key: key, value: text, expected: expected) }
        return value
    }

    /// Checks `format` and `format_version`.
    ///
    /// ```swift
    /// try weights.checkFormat()  // throws unless format == "multiverseg-weights", version 1
    /// ```
    public func checkFormat() throws(WeightsMetadataError) {
        let format = try string(WeightsMetadataKey.format)
        guard format == Self.formatName else { throw .wrongFormat(found: format) }
        let version = try integer(WeightsMetadataKey.formatVersion, in: 1...1_000_000)
        guard version == Self.formatVersion else {
            throw .unsupportedFormatVersion(found: version, supported: Self.formatVersion)
        }
    }

    /// `format_version`, e.g. 1.
    public var formatVersion: Int {
        get throws(WeightsMetadataError) { try integer(WeightsMetadataKey.formatVersion, in: 1...1_000_000) }
    }

    /// `arch`, e.g. `.multiverseg`.
    public var architecture: WeightsArchitecture {
        get throws(WeightsMetadataError) {
            let text = try string(WeightsMetadataKey.arch)
            guard let arch = WeightsArchitecture(rawValue: text) else {
                let names = WeightsArchitecture.allCases.map(\.rawValue).joined(separator: " or ")
                throw .malformedValue(key: WeightsMetadataKey.arch, value: text, expected: names)
            }
            return arch
        }
    }

    /// `features`: channels per level, e.g. 32.
    public var features: Int {
        get throws(WeightsMetadataError) { try integer(WeightsMetadataKey.features, in: 1...4096) }
    }

    /// `levels`: number of encoder blocks, e.g. 4.
    public var levels: Int {
        get throws(WeightsMetadataError) { try integer(WeightsMetadataKey.levels, in: 1...12) }
    }

    /// `resolution`: side of the square network input, e.g. 128.
    public var resolution: Int {
        get throws(WeightsMetadataError) { try integer(WeightsMetadataKey.resolution, in: 1...8192) }
    }

    /// `in_channels`: target input channels, e.g. 5.
    public var inputChannels: Int {
        get throws(WeightsMetadataError) { try integer(WeightsMetadataKey.inChannels, in: 1...64) }
    }

    /// `context_channels`: channels per context entry (image + mask = 2), MultiverSeg only.
    public var contextChannels: Int {
        get throws(WeightsMetadataError) { try integer(WeightsMetadataKey.contextChannels, in: 1...64) }
    }
}
