import Foundation
import Testing
@testable import Inference

/// Weights files that loaded but could not run; each test failed before its fix.
@Suite struct InferenceFuzzRegressionTests {
    /// The golden ScribblePrompt-UNet (8 features, 3 levels) with `resolution` as its metadata says.
    private static func weights(resolution: String) throws -> WeightsFile {
        var weights = try goldenFixture("scribbleprompt_nf8_l3_weights")
        weights.metadata["resolution"] = resolution
        return weights
    }

    /// Found while giving the safetensors fuzzer a prediction step: metadata claiming a
    /// resolution of 2^62 (divisible by every power of two the levels need) passed every check;
    /// building the ScribblePrompt-UNet then trapped on `r * r` overflowing (MultiverSeg did on
    /// its first prediction), and 65536 asked for an 80 GB buffer: one hostile weights file
    /// brought `multiverseg serve` down instead of being refused.
    @Test(arguments: ["4611686018427387904", "65536", "2048"])
    func absurdResolutionIsRefusedAtLoad(resolution: String) throws {
        let weights = try Self.weights(resolution: resolution)
        #expect(throws: NetworkError.self) { try ScribblePromptUNet(weights: weights, threads: 1) }
        #expect(throws: NetworkError.self) { try NetworkConfiguration(weights: weights) }
    }

    /// The bound leaves real sizes alone.
    @Test func realResolutionsStillLoad() throws {
        for resolution in ["32", "128", "1024"] {
            let network = try ScribblePromptUNet(weights: try Self.weights(resolution: resolution), threads: 1)
            #expect(network.resolution == Int(resolution))
        }
    }
}
