import ZIP
import Foundation
import Testing
@testable import Inference

/// The importer on the `ref` engineer's fixtures (Fixtures/pt, made by Training/fixtures/make_pt_fixtures.py):
/// tiny networks with the authors' parameter names and structure, plus odd and hostile variants.
@Suite struct PyTorchCheckpointFixtureTests {
    private func load(_ name: String, _ options: PyTorchCheckpoint.Options = .init()) throws -> WeightsFile {
        try PyTorchCheckpoint.read(contentsOf: fixturePath("pt/\(name)"), options: options)
    }

    private func twin(_ name: String) throws -> WeightsFile {
        try SafeTensors.read(contentsOf: fixturePath("pt/\(name)"))
    }

    /// The architecture's expected shapes, taken from the twin (as the network code would give them).
    private func expectedShapes(_ twin: WeightsFile) -> [String: [Int]] { twin.tensors.mapValues(\.shape) }

    @Test func multiverSegMatchesTwinAndMetadata() throws {
        let weights = try load("multiverseg_nf4_l2.pt")
        let expected = try twin("multiverseg_nf4_l2.safetensors")
        let difference = maxDifference(weights.tensors, expected.tensors)
        print("multiverseg_nf4_l2.pt vs twin: \(weights.tensors.count) tensors, max |difference| \(difference)")
        #expect(difference == 0)
        try weights.validate(expected: expectedShapes(expected))
        for key in ["format", "format_version", "arch", "features", "levels", "in_channels", "context_channels"] {
            #expect(weights.metadata[key] == expected.metadata[key], "\(key)")
        }
        #expect(try weights.architecture == .multiverseg)
        #expect(try weights.features == 4 && weights.levels == 2 && weights.inputChannels == 5)
    }

    @Test func scribblePromptMatchesTwinAndMetadata() throws {
        let weights = try load("scribbleprompt_nf4_l2.pt")
        let expected = try twin("scribbleprompt_nf4_l2.safetensors")
        let difference = maxDifference(weights.tensors, expected.tensors)
        print("scribbleprompt_nf4_l2.pt vs twin: \(weights.tensors.count) tensors, max |difference| \(difference)")
        #expect(difference == 0)
        try weights.validate(expected: expectedShapes(expected))
        #expect(try weights.architecture == .scribblepromptUNet)
        #expect(try weights.features == 4 && weights.levels == 2 && weights.inputChannels == 5)
    }

    @Test func extraKeysBesideModelAreIgnored() throws {
        let weights = try load("multiverseg_extra_keys.pt")
        let expected = try twin("multiverseg_nf4_l2.safetensors")
        #expect(maxDifference(weights.tensors, expected.tensors) == 0)
    }

    @Test func sharedStorageViewsMatchTwin() throws {
        let weights = try load("multiverseg_shared_storage.pt")
        let expected = try twin("multiverseg_nf4_l2.safetensors")
        let difference = maxDifference(weights.tensors, expected.tensors)
        print("multiverseg_shared_storage.pt vs twin: max |difference| \(difference)")
        #expect(difference == 0)
    }

    @Test func float16IsWidened() throws {
        let weights = try load("multiverseg_float16.pt")
        let expected = try twin("multiverseg_nf4_l2.safetensors")
        // Values are the twin's rounded to half precision.
        var worst: Float = 0
        for (name, tensor) in expected.tensors {
            for (a, b) in zip(weights.tensors[name]?.values ?? [], tensor.values) {
                worst = max(worst, abs(a - b) / max(1, abs(b)))
            }
        }
        print("multiverseg_float16.pt vs twin: max abs/rel difference \(worst)")
        #expect(worst <= 1e-3)
        #expect(weights.tensors.keys.sorted() == expected.tensors.keys.sorted())
    }

    @Test func validationNamesMissingAndMisshapedTensors() throws {
        let expected = expectedShapes(try twin("multiverseg_nf4_l2.safetensors"))
        #expect(throws: WeightsValidationError.missingTensor(name: "enc_blocks.1.support.vmapped.norml.bias")) {
            try load("multiverseg_missing_tensor.pt").validate(expected: expected)
        }
        #expect(throws: WeightsValidationError.shapeMismatch(
            name: "enc_blocks.0.cross.cross_conv.weight", expected: [4, 7, 3, 3], actual: [4, 5, 3, 3])) {
            try load("multiverseg_wrong_shape.pt").validate(expected: expected)
        }
    }

    @Test func brokenAndHostileFilesAreRefusedByName() {
        #expect(throws: PyTorchCheckpointError.legacyFormat) { try load("multiverseg_legacy_format.pt") }
        #expect(throws: PyTorchCheckpointError.archive(.notAZipArchive)) { try load("multiverseg_truncated.pt") }
        #expect(throws: PyTorchCheckpointError.pickle(.forbiddenGlobal(module: "os", name: "system"))) {
            try load("hostile_os_system.pt")
        }
    }
}
