import Foundation
import Inference

/// Why the model could not be loaded.
public enum ModelLoadError: Error, CustomStringConvertible {
    case missingWeights(String)
    case unusable(name: String, reason: String)

    public var description: String {
        switch self {
        case .missingWeights(let name):
            return "no model weights at \(name): pass --weights FILE, or train/export one (see Training/README.md)"
        case let .unusable(name, reason):
            return "the weights \(name) cannot be used: \(reason)"
        }
    }
}

/// The loaded networks behind one `Predictor`, used by one thread at a time (the networks own
/// their work buffers).
///
/// ```swift
/// let model = try ModelRunner.load(weights: "Weights/default.safetensors", threads: 2)
/// let prediction = try model.withPredictor { try $0.predict(image, context: context) }
/// ```
public final class ModelRunner: @unchecked Sendable {
    /// The weights file name, for display.
    public let name: String
    private let predictor: Predictor
    private let lock = NSLock()

    public init(name: String, predictor: Predictor) {
        self.name = name
        self.predictor = predictor
    }

    /// Loads MultiverSeg (or ScribblePrompt-UNet alone) weights, and optionally the authors'
    /// interactive-only ScribblePrompt-UNet used while a label has no context yet.
    public static func load(weights: String, interactiveWeights: String? = nil, threads: Int,
                            options: PredictorOptions = PredictorOptions()) throws -> ModelRunner {
        let name = (weights as NSString).lastPathComponent
        guard FileManager.default.fileExists(atPath: weights) else { throw ModelLoadError.missingWeights(name) }
        do {
            let (main, interactive) = try SegmentationNetworks.load(
                weights: weights, interactiveWeights: interactiveWeights, threads: threads)
            return ModelRunner(name: name, predictor: try Predictor(
                network: main, interactiveNetwork: interactive, options: options))
        } catch {
            throw ModelLoadError.unusable(name: name, reason: "\(error)")
        }
    }

    public var resolution: Int { predictor.resolution }

    public func makeContextSet() -> ContextSet { predictor.makeContextSet() }

    /// Runs `body` with exclusive use of the predictor.
    public func withPredictor<T>(_ body: (Predictor) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(predictor)
    }
}
