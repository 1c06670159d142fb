import Foundation
import MicroHTTP

/// What a labeling page hears on its event stream. Each case is one event name with a JSON
/// object as data; this is the only place that writes them (Public/js/label/predictions.js
/// reads them).
///
/// ```swift
/// PredictionEvent.superseded(image: "knee-07", seq: 4).send(on: stream)
/// // event: superseded
/// // data: {"image":"knee-07","seq":4}
/// ```
enum PredictionEvent {
    /// First event of a stream: the label's context size and the model's name (null without one).
    case hello(contextSize: Int, model: String?)
    /// The answer to request `seq`.
    case prediction(PredictionResult)
    /// Request `seq` was replaced by a newer one before, or after, it was computed.
    case superseded(image: String, seq: Int)
    /// Request `seq` could not be computed; `error` says why.
    case failed(image: String, seq: Int, error: String)
    /// The label's context set changed (here or in a collaborator's app).
    /// `revision`: the label's `ContextRevision.fingerprint` now, so a page that made the change
    /// itself (an accept answers the same revision) knows it has nothing to fetch.
    /// `change`: the image that changed and its state, when one did.
    case context(label: String, contextSize: Int, revision: String, change: App.ImageChange?)
    /// Progress of re-predicting the label's stale proposals: `done` of `total`, `image` the last one.
    case refresh(label: String, image: String, done: Int, total: Int)

    var name: String {
        switch self {
        case .hello: return "hello"
        case .prediction: return "prediction"
        case .superseded: return "superseded"
        case .failed: return "failed"
        case .context: return "context"
        case .refresh: return "refresh"
        }
    }

    /// The event's data: one JSON object, keys sorted, slashes unescaped.
    var data: String {
        switch self {
        case let .hello(contextSize, model): return Self.json(Hello(contextSize: contextSize, model: model))
        case let .prediction(result): return Self.json(result)
        case let .superseded(image, seq): return Self.json(Superseded(image: image, seq: seq))
        case let .failed(image, seq, error): return Self.json(Failed(image: image, seq: seq, error: error))
        case let .context(label, contextSize, revision, change):
            return Self.json(ContextChanged(label: label, contextSize: contextSize, revision: revision,
                                            image: change?.image, state: change?.state))
        case let .refresh(label, image, done, total):
            return Self.json(RefreshProgress(label: label, image: image, done: done, total: total))
        }
    }

    func send(on stream: EventStream) { stream.send(event: name, data: data) }

    private struct Hello: Encodable {
        let contextSize: Int
        let model: String?
        enum CodingKeys: CodingKey { case contextSize, model }
        // `model` is written as null when absent (the synthesized encoding would leave it out).
        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(contextSize, forKey: .contextSize)
            try container.encode(model, forKey: .model)
        }
    }

    private struct Superseded: Encodable { let image: String; let seq: Int }
    private struct Failed: Encodable { let image: String; let seq: Int; let error: String }
    private struct ContextChanged: Encodable {
        let label: String; let contextSize: Int; let revision: String
        let image: String?; let state: App.LabelState?
    }
    private struct RefreshProgress: Encodable { let label: String; let image: String; let done: Int; let total: Int }

    private static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // These payloads hold strings and numbers only, which always encode.
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
