import Foundation
import Inference

/// The loaded networks behind one `Predictor`, used by one thread at a time (the networks own
/// their work buffers).
///
/// ```swift
/// let model = try ModelRunner(spec: ModelSpec.load(weights: "Weights/default.safetensors"), threads: 2)
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

    /// The networks `spec` describes, behind one predictor.
    public convenience init(spec: ModelSpec, threads: Int, options: PredictorOptions = PredictorOptions()) throws {
        self.init(name: spec.name, predictor: try spec.makePredictor(threads: threads, options: options))
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
