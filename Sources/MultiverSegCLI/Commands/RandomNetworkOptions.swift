import ArgumentParser
import Inference

/// The shape of a random-init network, for the commands that can run without trained weights to
/// measure or test the machinery (`bench`, `eval`). `eval` spelled them `--random-features` and
/// `--random-levels`; both spellings are kept.
///
/// ```swift
/// @OptionGroup var randomNetwork: RandomNetworkOptions
/// let spec = try randomNetwork.spec()   // multiverseg, 32 features x 4 levels, 128 x 128
/// ```
struct RandomNetworkOptions: ParsableArguments {
    @Option(name: [.customLong("features"), .customLong("random-features")],
            help: "Features per level of the random-init network.")
    var features = 32
    @Option(name: [.customLong("levels"), .customLong("random-levels")], help: "Levels of the random-init network.")
    var levels = 4
    @Option(help: "Resolution of the random-init network.")
    var resolution = 128
    @Option(help: "Architecture of the random-init network: multiverseg or scribbleprompt-unet.")
    var arch = "multiverseg"

    /// A random-init model of this shape (with optional ScribblePrompt-UNet weights for empty contexts).
    func spec(interactiveWeights: String? = nil) throws -> ModelSpec {
        guard let architecture = WeightsArchitecture(rawValue: arch) else {
            throw ValidationError("--arch must be multiverseg or scribbleprompt-unet")
        }
        return try ModelSpec.random(
            NetworkConfiguration(architecture: architecture, features: Array(repeating: features, count: levels),
                                 resolution: resolution),
            interactiveWeights: interactiveWeights)
    }
}
