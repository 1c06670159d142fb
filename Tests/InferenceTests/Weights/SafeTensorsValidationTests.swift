import Testing
@testable import Inference

@Suite struct SafeTensorsValidationTests {
    private let weights = WeightsFile(
        metadata: [
            "format": "multiverseg-weights", "format_version": "1", "arch": "multiverseg",
            "features": "32", "levels": "4", "resolution": "128", "in_channels": "5", "context_channels": "2",
        ],
        tensors: [
            "conv.weight": Tensor(shape: [2, 1, 3, 3], values: .init(repeating: 0, count: 18)),
            "conv.bias": Tensor(shape: [2], values: [0, 0]),
        ])

    @Test func acceptsExactArchitecture() throws {
        try weights.validate(expected: ["conv.weight": [2, 1, 3, 3], "conv.bias": [2]])
    }

    @Test func namesMissingMisshapedAndExtraTensors() {
        #expect(throws: WeightsValidationError.missingTensor(name: "a.missing")) {
            try weights.validate(expected: ["conv.weight": [2, 1, 3, 3], "conv.bias": [2], "a.missing": [1]])
        }
        #expect(throws: WeightsValidationError.shapeMismatch(name: "conv.weight", expected: [2, 2, 3, 3], actual: [2, 1, 3, 3])) {
            try weights.validate(expected: ["conv.weight": [2, 2, 3, 3], "conv.bias": [2]])
        }
        #expect(throws: WeightsValidationError.unexpectedTensor(name: "conv.bias")) {
            try weights.validate(expected: ["conv.weight": [2, 1, 3, 3]])
        }
        let message = WeightsValidationError.shapeMismatch(name: "x", expected: [1, 2], actual: [3]).description
        #expect(message.contains("[1, 2]") && message.contains("[3]") && message.contains("'x'"))
    }

    @Test func readsTypedMetadata() throws {
        try weights.checkFormat()
        #expect(try weights.formatVersion == 1)
        #expect(try weights.architecture == .multiverseg)
        #expect(try weights.features == 32)
        #expect(try weights.levels == 4)
        #expect(try weights.resolution == 128)
        #expect(try weights.inputChannels == 5)
        #expect(try weights.contextChannels == 2)
    }

    @Test func missingMetadataFields() {
        let bare = WeightsFile()
        #expect(throws: WeightsMetadataError.missingKey("format")) { try bare.checkFormat() }
        #expect(throws: WeightsMetadataError.missingKey("format_version")) { _ = try bare.formatVersion }
        #expect(throws: WeightsMetadataError.missingKey("arch")) { _ = try bare.architecture }
        #expect(throws: WeightsMetadataError.missingKey("features")) { _ = try bare.features }
        #expect(throws: WeightsMetadataError.missingKey("levels")) { _ = try bare.levels }
        #expect(throws: WeightsMetadataError.missingKey("resolution")) { _ = try bare.resolution }
        #expect(throws: WeightsMetadataError.missingKey("in_channels")) { _ = try bare.inputChannels }
        #expect(throws: WeightsMetadataError.missingKey("context_channels")) { _ = try bare.contextChannels }
    }

    @Test func malformedMetadataFields() throws {
        func with(_ key: String, _ value: String) -> WeightsFile {
            var copy = weights
            copy.metadata[key] = value
            return copy
        }
        #expect(throws: WeightsMetadataError.wrongFormat(found: "pt")) { try with("format", "pt").checkFormat() }
        #expect(throws: WeightsMetadataError.unsupportedFormatVersion(found: 2, supported: 1)) { try with("format_version", "2").checkFormat() }
        #expect(throws: WeightsMetadataError.malformedValue(key: "arch", value: "unet", expected: "multiverseg or scribbleprompt-unet")) {
            _ = try with("arch", "unet").architecture
        }
        #expect(try with("arch", "scribbleprompt-unet").architecture == .scribblepromptUNet)
        for bad in ["", "-4", "4.0", " 4", "04", "0", "99999999999999999999", "four"] {
            #expect(throws: WeightsMetadataError.self, "levels \(bad)") { _ = try with("levels", bad).levels }
        }
        #expect(throws: WeightsMetadataError.malformedValue(key: "features", value: "0", expected: "a whole number from 1 to 4096")) {
            _ = try with("features", "0").features
        }
    }
}
