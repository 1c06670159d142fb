/// A float32 tensor as stored in a weights file: row-major, in PyTorch's layout (OIHW for
/// convolution weights).
///
/// ```swift
/// let bias = Tensor(shape: [32], values: .init(repeating: 0, count: 32))
/// ```
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "values do not fill shape \(shape)")
        self.shape = shape
        self.values = values
    }

    public var count: Int { values.count }
}

/// The contents of a weights file: named tensors plus string metadata (`__metadata__`).
public struct WeightsFile: Sendable {
    public var metadata: [String: String]
    public var tensors: [String: Tensor]

    public init(metadata: [String: String] = [:], tensors: [String: Tensor] = [:]) {
        self.metadata = metadata
        self.tensors = tensors
    }
}
