/// Why a network could not be built from weights, or could not run on the inputs given (a missing
/// or misshaped tensor is a `WeightsValidationError`).
public enum NetworkError: Error, Equatable, CustomStringConvertible {
    case unknownArchitecture(String)
    case invalidMetadata(key: String, value: String, reason: String)
    case cannotInferConfiguration(reason: String)
    case invalidConfiguration(reason: String)
    case wrongTargetSize(expected: Int, found: Int)
    case wrongContextSize(entry: Int, expected: Int, found: Int)

    public var description: String {
        switch self {
        case let .unknownArchitecture(arch):
            return "unknown architecture '\(arch)': expected 'multiverseg' or 'scribbleprompt-unet'"
        case let .invalidMetadata(key, value, reason):
            return "weights metadata '\(key)' = '\(value)' is invalid: \(reason)"
        case let .cannotInferConfiguration(reason):
            return "cannot tell the network configuration from the weights: \(reason); add 'arch', 'features' and 'levels' to the metadata"
        case let .invalidConfiguration(reason):
            return "invalid network configuration: \(reason)"
        case let .wrongTargetSize(expected, found):
            return "target input has \(found) values, the network needs \(expected) (5 channels at its resolution): resize it first"
        case let .wrongContextSize(entry, expected, found):
            return "context entry \(entry) has \(found) pixels, the network needs \(expected): resize it to the network's resolution first"
        }
    }
}
