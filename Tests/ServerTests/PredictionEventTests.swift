import Foundation
@testable import Server
import Testing

/// The event data Public/js/label/predictions.js parses.
@Suite struct PredictionEventTests {
    func object(_ event: PredictionEvent) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any])
    }

    @Test func namesAndFields() throws {
        #expect(PredictionEvent.hello(contextSize: 2, model: "m.safetensors").data
                == #"{"contextSize":2,"model":"m.safetensors"}"#)
        #expect(PredictionEvent.hello(contextSize: 0, model: nil).data == #"{"contextSize":0,"model":null}"#)
        #expect(PredictionEvent.superseded(image: "a/b", seq: 4).name == "superseded")
        #expect(PredictionEvent.superseded(image: "a/b", seq: 4).data == #"{"image":"a/b","seq":4}"#)
        let failed = try object(.failed(image: "i", seq: 3, error: "say \"why\"\n"))
        #expect(PredictionEvent.failed(image: "i", seq: 3, error: "").name == "failed")
        #expect(failed["image"] as? String == "i" && failed["seq"] as? Int == 3 && failed["error"] as? String == "say \"why\"\n")
        let context = try object(.context(label: "bone", contextSize: 5, revision: "5f0c9e2a41d7b3c8", change: nil))
        #expect(PredictionEvent.context(label: "bone", contextSize: 5, revision: "", change: nil).name == "context")
        #expect(context["label"] as? String == "bone" && context["contextSize"] as? Int == 5)
        #expect(context["revision"] as? String == "5f0c9e2a41d7b3c8" && context["image"] == nil)
        let state = App.LabelState(accepted: true, inContext: true, included: false, interactions: 2, annotator: "ana", version: 3)
        let changed = try object(.context(label: "bone", contextSize: 4, revision: "r", change: App.ImageChange(image: "a", state: state)))
        let stateJSON = changed["state"] as? [String: Any]
        #expect(changed["image"] as? String == "a" && stateJSON?["included"] as? Bool == false && stateJSON?["version"] as? Int == 3)
    }

    @Test func aPredictionCarriesWhatThePageShows() throws {
        let result = PredictionResult(image: "i", label: "bone", seq: 9, latencyMs: 12.5, contextSize: 3,
                                      network: "multiverseg", uncertainty: 0.25, maskPNG: "AAAA", cached: false)
        let event = PredictionEvent.prediction(result.answering(seq: 11))
        #expect(event.name == "prediction")
        let data = try object(event)
        #expect(Set(data.keys) == ["image", "label", "seq", "latencyMs", "contextSize", "network", "uncertainty", "maskPNG", "cached"])
        #expect(data["seq"] as? Int == 11 && data["cached"] as? Bool == true && data["maskPNG"] as? String == "AAAA")
        #expect(data["uncertainty"] as? Double == 0.25 && data["latencyMs"] as? Double == 12.5)
    }
}
