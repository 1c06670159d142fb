import Inference
import Synchronization

/// The loaded networks behind one `Predictor`, used by one thread at a time (the networks own
/// their work buffers).
///
/// ```swift
/// let model = try ModelRunner(spec: ModelSpec.load(weights: "Weights/default.safetensors"), threads: 2)
/// let prediction = try model.withPredictor { try $0.predict(image, context: context) }
/// ```
public final class ModelRunner: Sendable {
    /// The weights file name, for display.
    public let name: String
    /// Side of the networks' square input and output.
    public let resolution: Int
    /// An empty context set for the predictor: made once, so that making one needs no lock (the
    /// context cache makes them while it holds the predictor).
    private let emptyContextSet: ContextSet
    private let predictor: Mutex<Predictor>

    public init(name: String, predictor: sending Predictor) {
        self.name = name
        resolution = predictor.resolution
        emptyContextSet = predictor.makeContextSet()
        self.predictor = Mutex(predictor)
    }

    /// The networks `spec` describes, behind one predictor.
    public convenience init(spec: ModelSpec, threads: Int, options: PredictorOptions = PredictorOptions()) throws {
        self.init(name: spec.name, predictor: try spec.makePredictor(threads: threads, options: options))
    }

    public func makeContextSet() -> ContextSet { emptyContextSet }

    /// Runs `body` with exclusive use of the predictor.
    public func withPredictor<T: Sendable>(_ body: (Predictor) throws -> T) throws -> T {
        try predictor.withLock { try body($0) }
    }
}
