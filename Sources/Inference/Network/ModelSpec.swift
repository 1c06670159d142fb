import Foundation

/// Why a model description could not be made from the weights given. Files are named by their
/// last path component only: these texts reach the app's pages.
public enum ModelSpecError: Error, Equatable, CustomStringConvertible {
    /// No file at the weights path.
    case missingWeights(file: String)
    /// The file is there but cannot be read, or does not hold a network this build can run.
    case unusable(file: String, reason: String)
    /// The interactive network is not a ScribblePrompt-UNet.
    case interactiveNotScribblePrompt(file: String, architecture: String)
    /// A ScribblePrompt-UNet given as the main network next to an interactive one.
    case mainIsInteractiveOnly(file: String)
    /// The use needs an in-context (MultiverSeg) main network, and the file holds another.
    case needsInContextNetwork(file: String, architecture: String)

    public var description: String {
        switch self {
        case let .missingWeights(file):
            return "no model weights at \(file): pass --weights FILE, or train/export one (see Training/README.md)"
        case let .unusable(file, reason):
            return "the weights \(file) cannot be used: \(reason)"
        case let .interactiveNotScribblePrompt(file, architecture):
            return "'\(file)' holds \(architecture) weights; the interactive network must be a ScribblePrompt-UNet"
        case let .mainIsInteractiveOnly(file):
            return "'\(file)' holds a ScribblePrompt-UNet, which cannot be the main network when an interactive one is "
                + "given too: pass MultiverSeg weights as the main network"
        case let .needsInContextNetwork(file, architecture):
            return "'\(file)' holds \(architecture) weights, but a MultiverSeg network is needed here; "
                + "pass ScribblePrompt-UNet weights as the interactive network instead"
        }
    }
}

/// A validated description of the networks behind one predictor: the main network's weights
/// (from a file, or random for benchmarks and smoke tests) and, optionally, the authors'
/// interactive-only ScribblePrompt-UNet used while a label has no context. Every tensor is
/// checked when the description is made, so making networks from it fails only for lack of memory.
///
/// It is `Sendable` and cheap to share: each thread that predicts makes its own networks (they
/// own their work buffers).
///
/// ```swift
/// let spec = try ModelSpec.load(weights: "Weights/default.safetensors")
/// let predictor = try spec.makePredictor(threads: 2)
///
/// let random = try ModelSpec.random(.multiverseg(features: 32, levels: 4))
/// let network = try random.makeNetwork(threads: 2, parallelism: .blas)
/// ```
public struct ModelSpec: Sendable {
    /// The main network's configuration (architecture, features, resolution).
    public let configuration: NetworkConfiguration
    /// The main network's weights.
    public let weights: WeightsFile
    /// The interactive-only ScribblePrompt-UNet's weights, if one was given.
    public let interactiveWeights: WeightsFile?
    /// The main weights file's name, or `random-init (seed N)`, for display.
    public let name: String
    /// True for random weights: predictions only exercise the machinery.
    public let isRandom: Bool

    /// Reads and checks a weights file (MultiverSeg, or a ScribblePrompt-UNet alone) and,
    /// optionally, the interactive-only ScribblePrompt-UNet.
    public static func load(weights path: String, interactiveWeights interactivePath: String? = nil) throws -> ModelSpec {
        let main = try readChecked(path)
        return try ModelSpec(configuration: main.configuration, weights: main.weights, name: fileName(path),
                             isRandom: false, interactivePath: interactivePath)
    }

    /// Fixed-seed random weights for `configuration` (checked first) and, optionally, the
    /// interactive-only ScribblePrompt-UNet read from a file.
    public static func random(
        _ configuration: NetworkConfiguration, seed: UInt64 = 1, interactiveWeights interactivePath: String? = nil
    ) throws -> ModelSpec {
        try configuration.check()
        return try ModelSpec(configuration: configuration, weights: configuration.randomWeights(seed: seed),
                             name: "random-init (seed \(seed))", isRandom: true, interactivePath: interactivePath)
    }

    private init(
        configuration: NetworkConfiguration, weights: WeightsFile, name: String, isRandom: Bool, interactivePath: String?
    ) throws {
        self.configuration = configuration
        self.weights = weights
        self.name = name
        self.isRandom = isRandom
        guard let interactivePath else {
            interactiveWeights = nil
            return
        }
        let interactive = try Self.readChecked(interactivePath)
        guard interactive.configuration.architecture == .scribblepromptUNet else {
            throw ModelSpecError.interactiveNotScribblePrompt(file: Self.fileName(interactivePath), architecture: "MultiverSeg")
        }
        guard configuration.architecture == .multiverseg else { throw ModelSpecError.mainIsInteractiveOnly(file: name) }
        interactiveWeights = interactive.weights
    }

    /// This description, or an error when its main network is not MultiverSeg (uses that need a
    /// context network, such as the paper's experiments).
    public func requiringInContextNetwork() throws -> ModelSpec {
        guard configuration.architecture == .multiverseg else {
            throw ModelSpecError.needsInContextNetwork(file: name, architecture: configuration.architecture.rawValue)
        }
        return self
    }

    /// The main network. `threads`: threads for its kernels; `parallelism` (MultiverSeg only):
    /// how its products use them; `algorithm`: how its 3x3 convolutions are computed (nil: the
    /// default; one this CPU cannot run is ignored).
    public func makeNetwork(
        threads: Int, parallelism: MultiverSegNetwork.Parallelism = .chunks, algorithm: ConvolutionAlgorithm? = nil
    ) throws -> SegmentationNetwork {
        switch configuration.architecture {
        case .multiverseg:
            let network = try MultiverSegNetwork(configuration: configuration, weights: weights,
                                                 threads: max(1, threads), parallelism: parallelism)
            if let algorithm { network.convolutionAlgorithm = algorithm }
            return network
        case .scribblepromptUNet:
            let network = try ScribblePromptUNet(configuration: configuration, weights: weights, threads: max(1, threads))
            if let algorithm { network.convolutionAlgorithm = algorithm }
            return network
        }
    }

    /// The interactive-only network, if this description has one.
    public func makeInteractiveNetwork(threads: Int) throws -> SegmentationNetwork? {
        guard let interactiveWeights else { return nil }
        return try ScribblePromptUNet(weights: interactiveWeights, threads: max(1, threads))
    }

    /// A predictor over fresh networks, for use by one thread at a time.
    public func makePredictor(threads: Int, options: PredictorOptions = PredictorOptions()) throws -> Predictor {
        try Predictor(network: makeNetwork(threads: threads), interactiveNetwork: makeInteractiveNetwork(threads: threads),
                      options: options)
    }

    /// A weights file read, its configuration found and every tensor checked against it.
    private static func readChecked(_ path: String) throws -> (configuration: NetworkConfiguration, weights: WeightsFile) {
        let file = fileName(path)
        guard FileManager.default.fileExists(atPath: path) else { throw ModelSpecError.missingWeights(file: file) }
        do {
            let weights = try SafeTensors.read(contentsOf: path)
            let configuration = try NetworkConfiguration(weights: weights)
            try configuration.validate(weights)
            return (configuration, weights)
        } catch {
            throw ModelSpecError.unusable(file: file, reason: "\(error)")
        }
    }

    private static func fileName(_ path: String) -> String { (path as NSString).lastPathComponent }
}

extension ModelSpec {
    /// How a proposal names the model that made it: the weights' name and the SHA-256 of the
    /// file, so `propagate` and the app skip each other's up-to-date proposals and never mistake
    /// another file of the same name for them; the bare name for random weights (no file).
    ///
    /// ```swift
    /// try ModelSpec.identity(name: "default.safetensors", weightsPath: "Weights/default.safetensors")
    /// // "default.safetensors sha256:3b1f…"
    /// ```
    public static func identity(name: String, weightsPath: String?) throws -> String {
        guard let weightsPath else { return name }
        return "\(name) sha256:\(try SHA256.hex(file: weightsPath))"
    }

    /// `identity(name:weightsPath:)` of this spec (its name alone when its weights are random).
    public func identity(weightsPath: String?) throws -> String {
        try Self.identity(name: name, weightsPath: isRandom ? nil : weightsPath)
    }
}
