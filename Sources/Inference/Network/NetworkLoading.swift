/// Why a pair of weights files cannot serve as a predictor's networks.
public enum NetworkPairError: Error, CustomStringConvertible, Equatable {
    case interactiveNotScribblePrompt(path: String, architecture: String)
    case mainIsInteractiveOnly(path: String)

    public var description: String {
        switch self {
        case let .interactiveNotScribblePrompt(path, architecture):
            return "'\(path)' holds \(architecture) weights; the interactive network must be a ScribblePrompt-UNet"
        case let .mainIsInteractiveOnly(path):
            return "'\(path)' holds a ScribblePrompt-UNet, which cannot be the main network when an interactive one is "
                + "given too: pass MultiverSeg weights as the main network"
        }
    }
}

/// Builds networks from weights files, whichever architecture their metadata names.
///
/// ```swift
/// let (main, interactive) = try SegmentationNetworks.load(weights: "Weights/default.safetensors", threads: 2)
/// let predictor = try Predictor(network: main, interactiveNetwork: interactive)
/// ```
public enum SegmentationNetworks {
    /// The network in one weights file: MultiverSeg or ScribblePrompt-UNet.
    public static func load(_ path: String, threads: Int) throws -> SegmentationNetwork {
        let weights = try SafeTensors.read(contentsOf: path)
        switch try NetworkConfiguration(weights: weights).architecture {
        case .multiverseg: return try MultiverSegNetwork(weights: weights, threads: max(1, threads))
        case .scribblepromptUNet: return try ScribblePromptUNet(weights: weights, threads: max(1, threads))
        }
    }

    /// The main network (MultiverSeg, or a ScribblePrompt-UNet alone) and, optionally, the
    /// authors' interactive-only ScribblePrompt-UNet used while no context exists.
    public static func load(weights: String, interactiveWeights: String?, threads: Int) throws
        -> (main: SegmentationNetwork, interactive: SegmentationNetwork?)
    {
        let main = try load(weights, threads: threads)
        guard let interactiveWeights else { return (main, nil) }
        let interactive = try load(interactiveWeights, threads: threads)
        guard interactive is ScribblePromptUNet else {
            throw NetworkPairError.interactiveNotScribblePrompt(path: interactiveWeights, architecture: "MultiverSeg")
        }
        if main is ScribblePromptUNet { throw NetworkPairError.mainIsInteractiveOnly(path: weights) }
        return (main, interactive)
    }
}
