/// The shape of a segmentation network: which architecture, features per level, resolution and
/// input channels. Read from a weights file's metadata, or inferred from its tensor shapes.
///
/// ```swift
/// let config = NetworkConfiguration.multiverseg(features: 32, levels: 4)
/// try config.validate(weights)          // names the first missing or misshaped tensor
/// let config2 = try NetworkConfiguration(weights: weights)
/// ```
public struct NetworkConfiguration: Sendable, Equatable, CustomStringConvertible {
    public typealias Architecture = WeightsArchitecture

    public var architecture: Architecture
    /// Features of each encoder level (the decoder mirrors them).
    public var features: [Int]
    /// Side of the square input and output (128 for the authors' models).
    public var resolution: Int
    /// Channels of the target input: image, box, positive, negative, previous prediction.
    public var targetChannels: Int
    /// Channels of one context entry: image, mask (MultiverSeg only).
    public var contextChannels: Int

    public var levels: Int { features.count }

    public init(
        architecture: Architecture, features: [Int], resolution: Int = 128,
        targetChannels: Int = 5, contextChannels: Int = 2
    ) {
        self.architecture = architecture
        self.features = features
        self.resolution = resolution
        self.targetChannels = targetChannels
        self.contextChannels = contextChannels
    }

    /// A MultiverSeg network with `levels` encoder CrossBlocks of `features` each.
    public static func multiverseg(features: Int, levels: Int, resolution: Int = 128) -> Self {
        Self(architecture: .multiverseg, features: Array(repeating: features, count: levels), resolution: resolution)
    }

    /// A ScribblePrompt-UNet with `levels` down convolutions of `features` each.
    public static func scribblePromptUNet(features: Int, levels: Int, resolution: Int = 128) -> Self {
        Self(architecture: .scribblepromptUNet, features: Array(repeating: features, count: levels), resolution: resolution)
    }

    public var description: String {
        "\(architecture.rawValue) features \(features) at \(resolution)x\(resolution), in-channels \(targetChannels)"
            + (architecture == .multiverseg ? "+\(contextChannels)" : "")
    }

    /// The largest input side accepted. The released models use 128; a weights file claiming more
    /// than this would make the first prediction allocate resolution² buffers per feature (80 GB
    /// at 65536) or overflow computing their size.
    public static let maxResolution = 1024

    /// Throws unless the network can be built (levels, features and resolution fit together).
    public func check() throws {
        guard !features.isEmpty else { throw NetworkError.invalidConfiguration(reason: "no levels") }
        guard features.allSatisfy({ $0 > 0 }) else {
            throw NetworkError.invalidConfiguration(reason: "features must be positive: \(features)")
        }
        guard targetChannels > 0, contextChannels > 0 else {
            throw NetworkError.invalidConfiguration(reason: "input channels must be positive")
        }
        guard resolution <= Self.maxResolution else {
            throw NetworkError.invalidConfiguration(
                reason: "resolution \(resolution) is larger than \(Self.maxResolution), the most a network input may be; the weights file's metadata is wrong")
        }
        // MultiverSeg pools between its levels, the ScribblePrompt-UNet after each of them.
        let pools = architecture == .multiverseg ? levels - 1 : levels
        guard resolution > 0, pools < 30, resolution % (1 << pools) == 0 else {
            throw NetworkError.invalidConfiguration(
                reason: "resolution \(resolution) is not divisible by 2^\(pools) for \(levels) levels")
        }
        if architecture == .scribblepromptUNet && Set(features).count != 1 {
            // The authors' UNet sizes each up convolution as 2·features, which only matches the
            // concatenated skip when every level has the same width.
            throw NetworkError.invalidConfiguration(reason: "ScribblePrompt-UNet needs equal features per level")
        }
    }

    /// Every tensor the architecture needs, by its PyTorch state_dict name, with its shape.
    public var expectedTensorShapes: [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        switch architecture {
        case .multiverseg:
            func block(_ prefix: String, target: Int, context: Int, features f: Int) {
                shapes["\(prefix).cross.cross_conv.weight"] = [f, target + context, 3, 3]
                shapes["\(prefix).cross.cross_conv.bias"] = [f]
                for branch in ["target", "support"] {
                    shapes["\(prefix).\(branch).vmapped.conv.weight"] = [f, f, 3, 3]
                    shapes["\(prefix).\(branch).vmapped.conv.bias"] = [f]
                    shapes["\(prefix).\(branch).vmapped.norml.weight"] = [f]
                    shapes["\(prefix).\(branch).vmapped.norml.bias"] = [f]
                }
            }
            for (i, f) in features.enumerated() {
                block("enc_blocks.\(i)",
                      target: i == 0 ? targetChannels : features[i - 1],
                      context: i == 0 ? contextChannels : features[i - 1], features: f)
            }
            var previous = features[levels - 1]
            for j in 0..<(levels - 1) {
                let f = features[levels - 2 - j]
                block("dec_blocks.\(j)", target: previous + f, context: previous + f, features: f)
                previous = f
            }
            shapes["out_conv.conv.weight"] = [1, features[0], 1, 1]
            shapes["out_conv.conv.bias"] = [1]
        case .scribblepromptUNet:
            func conv(_ prefix: String, _ out: Int, _ inChannels: Int) {
                shapes["\(prefix).conv.0.weight"] = [out, inChannels, 3, 3]
                shapes["\(prefix).conv.0.bias"] = [out]
                shapes["\(prefix).conv.1.weight"] = [1]
            }
            var inChannels = targetChannels
            for (i, f) in features.enumerated() {
                conv("downs.\(i)", f, inChannels)
                inChannels = f
            }
            conv("bottleneck", features[levels - 1], features[levels - 1])
            for (j, f) in features.reversed().enumerated() {
                conv("ups.\(2 * j + 1)", f, 2 * f)
            }
            shapes["final_conv.conv.0.weight"] = [1, features[0], 1, 1]
            shapes["final_conv.conv.0.bias"] = [1]
        }
        return shapes
    }

    /// Throws `WeightsValidationError` naming the first missing, misshaped or extra tensor
    /// (in name order, so the message is stable), or `NetworkError` for an impossible configuration.
    public func validate(_ weights: WeightsFile) throws {
        try check()
        try weights.validate(expected: expectedTensorShapes)
    }
}

extension NetworkConfiguration {
    /// Reads the configuration from `weights`: `arch` from the metadata (or guessed from the tensor
    /// names), features per level from the tensor shapes, `resolution` from the metadata
    /// (default 128). Where the metadata gives `features` or `levels` they must agree with the shapes.
    public init(weights: WeightsFile) throws {
        let metadata = weights.metadata
        let architecture: Architecture
        if let arch = metadata["arch"] {
            guard let known = Architecture(rawValue: arch) else { throw NetworkError.unknownArchitecture(arch) }
            architecture = known
        } else if weights.tensors["enc_blocks.0.cross.cross_conv.weight"] != nil {
            architecture = .multiverseg
        } else if weights.tensors["downs.0.conv.0.weight"] != nil {
            architecture = .scribblepromptUNet
        } else {
            throw NetworkError.cannotInferConfiguration(reason: "no 'arch' metadata and no known first-layer tensor")
        }

        var features: [Int] = []
        var targetChannels = 5
        var contextChannels = 2
        switch architecture {
        case .multiverseg:
            while let w = weights.tensors["enc_blocks.\(features.count).cross.cross_conv.weight"] {
                guard w.shape.count == 4 else {
                    throw NetworkError.cannotInferConfiguration(reason: "enc_blocks.\(features.count) cross weight is not 4-D")
                }
                features.append(w.shape[0])
            }
            if let first = weights.tensors["enc_blocks.0.cross.cross_conv.weight"], first.shape.count == 4 {
                contextChannels = Self.intMetadata(metadata, "context_channels") ?? 2
                targetChannels = first.shape[1] - contextChannels
            }
        case .scribblepromptUNet:
            while let w = weights.tensors["downs.\(features.count).conv.0.weight"] {
                guard w.shape.count == 4 else {
                    throw NetworkError.cannotInferConfiguration(reason: "downs.\(features.count) weight is not 4-D")
                }
                features.append(w.shape[0])
            }
            if let first = weights.tensors["downs.0.conv.0.weight"], first.shape.count == 4 {
                targetChannels = first.shape[1]
            }
        }
        guard !features.isEmpty else {
            throw NetworkError.cannotInferConfiguration(reason: "found no encoder levels for \(architecture.rawValue)")
        }
        if let levels = metadata["levels"] {
            guard Int(levels) == features.count else {
                throw NetworkError.invalidMetadata(key: "levels", value: levels,
                                                   reason: "the tensors have \(features.count) levels")
            }
        }
        if let declared = metadata["features"] {
            let values = Self.intList(declared)
            guard let values, values == [features[0]] || values == features else {
                throw NetworkError.invalidMetadata(key: "features", value: declared,
                                                   reason: "the tensors have features \(features)")
            }
        }
        if let declared = metadata["in_channels"], let values = Self.intList(declared) {
            guard values.first == targetChannels else {
                throw NetworkError.invalidMetadata(key: "in_channels", value: declared,
                                                   reason: "the first layer takes \(targetChannels) target channels")
            }
        }
        var resolution = 128
        if let declared = metadata["resolution"] {
            guard let value = Int(declared), value > 0 else {
                throw NetworkError.invalidMetadata(key: "resolution", value: declared, reason: "not a positive integer")
            }
            resolution = value
        }
        self.init(architecture: architecture, features: features, resolution: resolution,
                  targetChannels: targetChannels, contextChannels: contextChannels)
        try validate(weights)
    }

    private static func intMetadata(_ metadata: [String: String], _ key: String) -> Int? {
        metadata[key].flatMap { Int($0) }
    }

    /// "32", "32,32,32", "[32, 32]" or "(5, 2)" -> the integers; nil if anything else is in it.
    static func intList(_ text: String) -> [Int]? {
        let trimmed = text.trimmingCharacters(in: "[]() ")
        let parts = trimmed.split(separator: ",").map { $0.trimmingCharacters(in: " ") }
        let values = parts.compactMap { Int($0) }
        return values.count == parts.count && !values.isEmpty ? values : nil
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var view = Substring(self)
        while let first = view.first, set.contains(first) { view = view.dropFirst() }
        while let last = view.last, set.contains(last) { view = view.dropLast() }
        return String(view)
    }
}
