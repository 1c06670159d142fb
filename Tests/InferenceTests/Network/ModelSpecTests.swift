import Foundation
@testable import Inference
import TestSupport
import Testing

/// One way to build a model: `ModelSpec` checks weights once and makes networks and predictors.
@Suite struct ModelSpecTests {
    let multiverseg = NetworkConfiguration.multiverseg(features: 8, levels: 3, resolution: 16)
    let unet = NetworkConfiguration.scribblePromptUNet(features: 8, levels: 2, resolution: 16)

    func write(_ configuration: NetworkConfiguration, _ name: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.file(name)
        try SafeTensors.write(configuration.randomWeights(seed: 3), to: path)
        return path
    }

    @Test func loadsAPairAndMakesPredictors() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spec = try ModelSpec.load(weights: try write(multiverseg, "main.safetensors", in: directory),
                                      interactiveWeights: try write(unet, "unet.safetensors", in: directory))
        #expect(spec.name == "main.safetensors" && !spec.isRandom && spec.interactiveWeights != nil)
        #expect(spec.configuration == multiverseg)
        let predictor = try spec.makePredictor(threads: 1, options: PredictorOptions(contextLimit: 4))
        #expect(predictor.resolution == 16 && predictor.interactiveNetwork is ScribblePromptUNet)
        #expect(predictor.network is MultiverSegNetwork && predictor.options.contextLimit == 4)
    }

    @Test func errorsNameTheFileAndSayWhatIsWrong() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(throws: ModelSpecError.missingWeights(file: "nope.safetensors")) {
            try ModelSpec.load(weights: directory.file("nope.safetensors"))
        }
        try Data("not weights".utf8).write(to: URL(fileURLWithPath: directory.file("junk.safetensors")))
        do {
            _ = try ModelSpec.load(weights: directory.file("junk.safetensors"))
            Issue.record("junk weights were accepted")
        } catch let ModelSpecError.unusable(file, reason) {
            #expect(file == "junk.safetensors" && !reason.isEmpty && !reason.contains(directory.path))
        }
        let main = try write(multiverseg, "main.safetensors", in: directory)
        let other = try write(multiverseg, "other.safetensors", in: directory)
        let lone = try write(unet, "unet.safetensors", in: directory)
        #expect(throws: ModelSpecError.interactiveNotScribblePrompt(file: "other.safetensors", architecture: "MultiverSeg")) {
            try ModelSpec.load(weights: main, interactiveWeights: other)
        }
        #expect(throws: ModelSpecError.mainIsInteractiveOnly(file: "unet.safetensors")) {
            try ModelSpec.load(weights: lone, interactiveWeights: lone)
        }
        // A ScribblePrompt-UNet alone serves the app, not the experiments.
        let alone = try ModelSpec.load(weights: lone)
        #expect(try alone.makeNetwork(threads: 1) is ScribblePromptUNet)
        #expect(throws: ModelSpecError.needsInContextNetwork(file: "unet.safetensors", architecture: "scribbleprompt-unet")) {
            try alone.requiringInContextNetwork()
        }
    }

    @Test func randomWeightsAreCheckedAndNamed() throws {
        let spec = try ModelSpec.random(multiverseg, seed: 5)
        #expect(spec.isRandom && spec.name == "random-init (seed 5)" && spec.interactiveWeights == nil)
        #expect(throws: NetworkError.self) {
            try ModelSpec.random(.multiverseg(features: 8, levels: 3, resolution: 18))
        }
        let network = try spec.makeNetwork(threads: 2, parallelism: .blas, algorithm: .im2colGEMM)
        #expect((network as? MultiverSegNetwork)?.convolutionAlgorithm == .im2colGEMM)
    }

    /// OpenBLAS's thread count is process-wide; each network asks for its own at the start of its
    /// forward pass, so building another network never changes how the first one runs.
    @Test func eachNetworkKeepsItsOwnBLASThreads() throws {
        let spec = try ModelSpec.random(multiverseg)
        let blas = try #require(try spec.makeNetwork(threads: 3, parallelism: .blas) as? MultiverSegNetwork)
        #expect(blas.workspace.blasThreads == 3)
        let chunks = try #require(try spec.makeNetwork(threads: 3, parallelism: .chunks) as? MultiverSegNetwork)
        let interactive = try #require(try ModelSpec.random(unet).makeNetwork(threads: 3) as? ScribblePromptUNet)
        #expect(blas.workspace.blasThreads == 3, "building other networks changed the first one's")
        #expect(chunks.workspace.blasThreads == 1 && interactive.workspace.blasThreads == 1)
        #expect(try ModelSpec.random(multiverseg).makeNetwork(threads: 1, parallelism: .blas) is MultiverSegNetwork)
    }
}
