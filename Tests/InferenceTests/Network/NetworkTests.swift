import Testing
@testable import Inference

/// Network construction, validation and invariants that need no golden data.
@Suite struct NetworkTests {
    let small = NetworkConfiguration.multiverseg(features: 8, levels: 3, resolution: 16)

    func randomTarget(_ r: Int, seed: UInt64) -> [Float] {
        randomFloats(5 * r * r, seed: seed).map { abs($0) }
    }

    func randomPair(_ r: Int, seed: UInt64) -> ContextPair {
        ContextPair(image: randomFloats(r * r, seed: seed).map { abs($0) },
                    mask: randomFloats(r * r, seed: seed + 1).map { $0 > 0 ? 1 : 0 })
    }

    @Test func tensorTablesMatchTheAuthorsModels() {
        // Key and parameter counts of the released models (Training/ARCHITECTURE.md).
        let multiverseg = NetworkConfiguration.multiverseg(features: 256, levels: 4).expectedTensorShapes
        #expect(multiverseg.count == 72)
        #expect(multiverseg.values.reduce(0) { $0 + $1.reduce(1, *) } == 18_903_297)
        #expect(multiverseg["dec_blocks.2.cross.cross_conv.weight"] == [256, 1024, 3, 3])
        #expect(multiverseg["enc_blocks.0.cross.cross_conv.weight"] == [256, 7, 3, 3])
        let unet = NetworkConfiguration.scribblePromptUNet(features: 192, levels: 4).expectedTensorShapes
        #expect(unet.count == 29)
        #expect(unet.values.reduce(0) { $0 + $1.reduce(1, *) } == 3_991_882)
        #expect(unet["ups.7.conv.0.weight"] == [192, 384, 3, 3])
    }

    @Test func missingOrMisshapedTensorsAreNamed() throws {
        var weights = small.randomWeights(seed: 1)
        weights.tensors["dec_blocks.1.support.vmapped.norml.bias"] = nil
        #expect(throws: WeightsValidationError.missingTensor(name: "dec_blocks.1.support.vmapped.norml.bias")) {
            try MultiverSegNetwork(weights: weights)
        }
        weights = small.randomWeights(seed: 1)
        weights.tensors["enc_blocks.1.target.vmapped.conv.weight"] = Tensor(shape: [8, 8, 1, 1], values: .init(repeating: 0, count: 64))
        #expect(throws: WeightsValidationError.shapeMismatch(
            name: "enc_blocks.1.target.vmapped.conv.weight", expected: [8, 8, 3, 3], actual: [8, 8, 1, 1])) {
            try MultiverSegNetwork(weights: weights)
        }
        do {
            _ = try MultiverSegNetwork(weights: weights)
        } catch {
            #expect("\(error)".contains("enc_blocks.1.target.vmapped.conv.weight"))
        }
    }

    @Test func configurationIsReadFromMetadataOrShapes() throws {
        var weights = small.randomWeights(seed: 2)
        #expect(try NetworkConfiguration(weights: weights) == small)
        // Without metadata: architecture from the tensor names, features and levels from shapes.
        weights.metadata = ["resolution": "16"]
        #expect(try NetworkConfiguration(weights: weights) == small)
        weights.metadata = ["features": "16", "resolution": "16"]
        #expect(throws: NetworkError.self) { try NetworkConfiguration(weights: weights) }
        weights.metadata = ["arch": "universeg"]
        #expect(throws: NetworkError.unknownArchitecture("universeg")) { try NetworkConfiguration(weights: weights) }
        let unet = NetworkConfiguration.scribblePromptUNet(features: 8, levels: 2, resolution: 16)
        var unetWeights = unet.randomWeights(seed: 3)
        unetWeights.metadata = [:]
        var inferred = try NetworkConfiguration(weights: unetWeights)
        inferred.resolution = 16
        #expect(inferred == unet)
        #expect(throws: NetworkError.self) { try MultiverSegNetwork(weights: unet.randomWeights(seed: 3)) }
        #expect(throws: NetworkError.self) { try NetworkConfiguration.multiverseg(features: 8, levels: 4, resolution: 20).check() }
    }

    @Test func wrongInputSizesAreErrors() throws {
        let network = try MultiverSegNetwork(randomConfiguration: small, seed: 4)
        #expect(throws: NetworkError.wrongTargetSize(expected: 5 * 256, found: 256)) {
            try network.logits(target: .init(repeating: 0, count: 256), context: [])
        }
        let bad = ContextPair(image: .init(repeating: 0, count: 4), mask: .init(repeating: 0, count: 4))
        #expect(throws: NetworkError.wrongContextSize(entry: 1, expected: 256, found: 4)) {
            try network.logits(target: randomTarget(16, seed: 5), context: [randomPair(16, seed: 6), bad])
        }
    }

    @Test func emptyContextIsOneEntryOfHalves() throws {
        let network = try MultiverSegNetwork(randomConfiguration: small, seed: 7, threads: 2)
        let target = randomTarget(16, seed: 8)
        let empty = try network.logits(target: target, context: [])
        let halves = ContextPair(image: .init(repeating: 0.5, count: 256), mask: .init(repeating: 0.5, count: 256))
        #expect(try network.logits(target: target, context: [halves]) == empty)
        let other = try network.logits(target: target, context: [randomPair(16, seed: 9)])
        #expect(other != empty, "the context must change the prediction")
    }

    @Test(arguments: convolutionBackends)
    func entryOrderDoesNotMatterAndBuffersCarryNothingOver(algorithm: ConvolutionAlgorithm) throws {
        let network = try MultiverSegNetwork(randomConfiguration: small, seed: 10, threads: 2)
        network.convolutionAlgorithm = algorithm
        let target = randomTarget(16, seed: 11)
        let pairs = (0..<4).map { randomPair(16, seed: 100 + UInt64($0) * 2) }
        let forward = try network.logits(target: target, context: pairs)
        // Smaller then larger contexts reuse the same buffers.
        _ = try network.logits(target: target, context: [pairs[0]])
        _ = try network.logits(target: target, context: pairs + pairs)
        let reversed = try network.logits(target: target, context: pairs.reversed())
        expectClose(reversed, forward, absolute: 1e-5, relative: 1e-5, "reversed context (\(algorithm.rawValue))")
        let fresh = try MultiverSegNetwork(randomConfiguration: small, seed: 10, threads: 1)
        fresh.convolutionAlgorithm = algorithm
        expectClose(try fresh.logits(target: target, context: pairs), forward, absolute: 1e-5, relative: 1e-5,
                    "fresh network, 1 thread (\(algorithm.rawValue))")
    }

    @Test func randomWeightsDependOnTheSeedOnly() {
        let a = small.randomWeights(seed: 12), b = small.randomWeights(seed: 12), c = small.randomWeights(seed: 13)
        #expect(a.tensors == b.tensors)
        #expect(a.tensors != c.tensors)
    }
}
