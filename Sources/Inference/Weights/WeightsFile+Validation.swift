/// Why a weights file does not fit the architecture that is about to load it.
public enum WeightsValidationError: Error, CustomStringConvertible, Equatable {
    case missingTensor(name: String)
    case shapeMismatch(name: String, expected: [Int], actual: [Int])
    case unexpectedTensor(name: String)

    public var description: String {
        switch self {
        case .missingTensor(let name):
            "the weights have no tensor '\(name)'; they were made for another architecture or size — check the file's arch, features and levels"
        case .shapeMismatch(let name, let expected, let actual):
            "tensor '\(name)' has shape \(actual) but the network needs \(expected); the weights were made for another configuration (features, levels or input channels)"
        case .unexpectedTensor(let name):
            "the weights hold a tensor '\(name)' that this network does not use; they were made for another architecture — check the file's arch"
        }
    }
}

extension WeightsFile {
    /// Checks that the tensors are exactly `expected` (name -> shape): throws for the first missing
    /// or misshaped tensor in name order, then for the first extra tensor.
    ///
    /// ```swift
    /// try weights.validate(expected: ["out_conv.conv.weight": [1, 32, 1, 1], "out_conv.conv.bias": [1]])
    /// ```
    public func validate(expected: [String: [Int]]) throws(WeightsValidationError) {
        for name in expected.keys.sorted() {
            guard let tensor = tensors[name] else { throw .missingTensor(name: name) }
            let shape = expected[name]!
            guard tensor.shape == shape else { throw .shapeMismatch(name: name, expected: shape, actual: tensor.shape) }
        }
        if let extra = tensors.keys.filter({ expected[$0] == nil }).min() {
            throw .unexpectedTensor(name: extra)
        }
    }

    /// Total number of scalar parameters.
    public var parameterCount: Int { tensors.values.reduce(0) { $0 + $1.count } }
}
