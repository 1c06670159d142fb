/// One labeled example the network conditions on, at the network's resolution (R x R, row-major).
public struct ContextPair: Sendable {
    /// Intensities in 0...1.
    public var image: [Float]
    /// Binary (0 or 1) mask.
    public var mask: [Float]

    public init(image: [Float], mask: [Float]) {
        precondition(image.count == mask.count, "context image and mask differ in size")
        self.image = image
        self.mask = mask
    }
}

/// A network that maps a target input and a context set to logits, at its own resolution.
///
/// Shapes (R = `resolution`): `target` is [5, R, R] — image, box, positive clicks/scribbles,
/// negative clicks/scribbles, previous prediction; each context pair is [2, R, R]; the result is
/// [R, R] logits. An empty context means "no context" (the implementation decides how: a dummy
/// entry of 0.5s, or a separate context-free network).
public protocol SegmentationNetwork: AnyObject {
    var resolution: Int { get }
    func logits(target: [Float], context: [ContextPair]) throws -> [Float]
}
