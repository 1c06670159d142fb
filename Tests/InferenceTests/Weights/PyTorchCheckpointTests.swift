import Foundation
import Testing
@testable import Inference

/// Path of a file under Tests/InferenceTests/Fixtures.
func fixturePath(_ relative: String) -> String {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(relative).path
}

/// Largest |a - b| over two equally shaped tensor sets; records an issue for any name or shape difference.
func maxDifference(_ actual: [String: Tensor], _ expected: [String: Tensor]) -> Float {
    #expect(actual.keys.sorted() == expected.keys.sorted())
    var worst: Float = 0
    for (name, tensor) in expected {
        guard let other = actual[name] else { continue }
        #expect(other.shape == tensor.shape, "\(name)")
        guard other.shape == tensor.shape else { continue }
        for (a, b) in zip(other.values, tensor.values) { worst = max(worst, abs(a - b)) }
    }
    return worst
}

/// The importer on checkpoints written by torch.save (Fixtures/importer, made by
/// Training/fixtures/make_importer_fixtures.py), compared tensor by tensor with their safetensors twins.
@Suite struct PyTorchCheckpointTests {
    @Test func importsOddLayoutsExactly() throws {
        let tensors = try PyTorchCheckpoint.stateDict(
            Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath("importer/layouts.pt")))))
        let expected = try SafeTensors.read(contentsOf: fixturePath("importer/layouts.safetensors")).tensors
        let difference = maxDifference(tensors, expected)
        print("layouts.pt vs twin: \(tensors.count) tensors, max |difference| \(difference)")
        #expect(difference == 0)
        // Hand-checkable values: grid = arange(12) * 0.5 - 2 as 3x4; transposed is its 4x3 transpose.
        #expect(tensors["transposed"] == Tensor(shape: [4, 3], values: [-2, 0, 2, -1.5, 0.5, 2.5, -1, 1, 3, -0.5, 1.5, 3.5]))
        #expect(tensors["row"] == Tensor(shape: [4], values: [0, 0.5, 1, 1.5]))
        #expect(tensors["column"] == Tensor(shape: [3], values: [-1, 1, 3]))
        #expect(tensors["scalar"] == Tensor(shape: [], values: [7.25]))
        #expect(tensors["empty"] == Tensor(shape: [0, 3], values: []))
        #expect(tensors["parameter"] == Tensor(shape: [1, 2], values: [0.5, -0.5]))
        #expect(tensors["broadcast"] == Tensor(shape: [3, 2], values: [1, 2, 1, 2, 1, 2]))
        #expect(tensors["bf16"]?.values.prefix(2) == [1, -0.15625])
    }

    @Test func importsModuleStateDictWithProtocol4AndInfersMetadata() throws {
        let weights = try PyTorchCheckpoint.read(contentsOf: fixturePath("importer/scribbleprompt_proto4.pt"))
        let expected = try SafeTensors.read(contentsOf: fixturePath("importer/scribbleprompt_proto4.safetensors"))
        let difference = maxDifference(weights.tensors, expected.tensors)
        print("scribbleprompt_proto4.pt vs twin: \(weights.tensors.count) tensors, max |difference| \(difference)")
        #expect(difference == 0)
        try weights.checkFormat()
        #expect(try weights.architecture == .scribblepromptUNet)
        #expect(try weights.levels == 2)
        #expect(try weights.features == 4)
        #expect(try weights.inputChannels == 5)
        #expect(try weights.resolution == 128)
        // The imported file survives a safetensors round trip unchanged.
        let again = try SafeTensors.decode(try SafeTensors.encode(weights))
        #expect(again.tensors == weights.tensors && again.metadata == weights.metadata)
    }

    @Test func architectureMustBeGivenWhenNamesDoNotTellIt() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath("importer/layouts.pt"))))
        #expect(throws: PyTorchCheckpointError.cannotInferArchitecture(sampleKeys: ["bf16", "broadcast", "column"])) {
            try PyTorchCheckpoint.decode(bytes)
        }
        var options = PyTorchCheckpoint.Options(architecture: .multiverseg, resolution: 64)
        options.extraMetadata = ["source": "layouts.pt"]
        let weights = try PyTorchCheckpoint.decode(bytes, options: options)
        #expect(weights.metadata == [
            "format": "multiverseg-weights", "format_version": "1", "arch": "multiverseg", "resolution": "64", "context_channels": "2",
            "source": "layouts.pt",
        ])
    }

    @Test func infersMultiverSegMetadataFromAuthorsNames() throws {
        // Shapes per Training/ARCHITECTURE.md §1.2: enc_blocks.0 cross conv [F, 5 + 2, 3, 3].
        var tensors: [String: Tensor] = [:]
        for level in 0..<3 {
            let inputs = level == 0 ? 7 : 16
            tensors["enc_blocks.\(level).cross.cross_conv.weight"] = Tensor(shape: [8, inputs, 1, 1], values: .init(repeating: 0, count: 8 * inputs))
        }
        tensors["dec_blocks.0.cross.cross_conv.weight"] = Tensor(shape: [1], values: [0])
        let metadata = try PyTorchCheckpoint.inferredMetadata(tensors)
        #expect(metadata == ["arch": "multiverseg", "levels": "3", "features": "8", "in_channels": "5", "context_channels": "2"])
    }

    @Test func refusesCodeExecutionByName() throws {
        #expect(throws: PyTorchCheckpointError.pickle(.forbiddenGlobal(module: "__builtin__", name: "eval"))) {
            try PyTorchCheckpoint.read(contentsOf: fixturePath("importer/evil_global.pt"))
        }
        let message = PickleError.forbiddenGlobal(module: "os", name: "system").description
        #expect(message.contains("global os.system is not allowed"))
    }

    @Test func refusesIntegerTensorsWithAdvice() {
        #expect(throws: PyTorchCheckpointError.unsupportedTensorType(tensor: "num_batches_tracked", storage: "LongStorage")) {
            try PyTorchCheckpoint.read(contentsOf: fixturePath("importer/int64_buffer.pt"))
        }
    }

    @Test func importsReZippedCheckpoints() throws {
        let expected = try SafeTensors.read(contentsOf: fixturePath("importer/layouts.safetensors")).tensors
        for name in ["deflated.pt", "deflated_level0.pt"] {
            let tensors = try PyTorchCheckpoint.stateDict(Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath("importer/\(name)")))))
            let difference = maxDifference(tensors, expected)
            print("\(name) vs twin: max |difference| \(difference)")
            #expect(difference == 0, "\(name)")
        }
        #expect(throws: PyTorchCheckpointError.archive(.unsupportedCompression(entry: "layouts/byteorder", method: 12))) {
            try PyTorchCheckpoint.read(contentsOf: fixturePath("importer/bzip2.pt"))
        }
    }
}
