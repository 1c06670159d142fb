import Imaging

/// The labeled images a prediction may condition on, kept ready at the network's resolution.
///
/// Each entry is prepared once, when inserted: its image goes through the same pipeline as a
/// target (min-max, centred zero padding, resize), its mask is thresholded at the original size,
/// resized the same way and thresholded again (the paper found binary context masks better than
/// soft ones), and a small thumbnail is kept for choosing entries. Predictions only read these.
///
/// ```swift
/// var context = ContextSet(resolution: 128)
/// try context.insert(id: "scan-07", image: image, mask: mask)   // a BinaryMask of the image's size
/// context.count        // 1
/// context.remove(id: "scan-07")
/// ```
public struct ContextSet: Sendable {
    /// One prepared entry.
    public struct Entry: Sendable {
        public let id: String
        /// [R, R] intensities in 0...1 and the binary mask, as the network takes them.
        public let pair: ContextPair
        /// Mean-free, unit-length thumbnail (zero for a constant image) for `similarity`.
        public let thumbnail: [Float]
        /// Insertion order, for stable ordering and tie-breaks.
        public let sequence: Int
    }

    public let resolution: Int
    /// Shrink factor above which images are antialiased on the way to the network.
    public let antialiasAbove: Double
    private var entries: [String: Entry] = [:]
    private var nextSequence = 0
    /// How many entries have been prepared since this set was made (a re-insert counts again);
    /// predictions never add to it.
    public private(set) var preparations = 0

    public init(resolution: Int, antialiasAbove: Double = 2) {
        precondition(resolution > 0)
        self.resolution = resolution
        self.antialiasAbove = antialiasAbove
    }

    public var count: Int { entries.count }

    /// Entry ids in insertion order.
    public var ids: [String] { orderedEntries.map(\.id) }

    public func entry(id: String) -> Entry? { entries[id] }

    var orderedEntries: [Entry] { entries.values.sorted { $0.sequence < $1.sequence } }

    /// Adds or replaces the entry `id`; `mask` has the image's size.
    public mutating func insert(id: String, image: GreyImage, mask: BinaryMask) throws {
        guard mask.pixels.count == image.pixels.count else {
            throw PredictorError.contextMaskSizeMismatch(id: id, imagePixels: image.pixels.count, maskPixels: mask.pixels.count)
        }
        let geometry = SquareGeometry(width: image.width, height: image.height, resolution: resolution)
        let networkImage = geometry.toNetwork(image.normalisedPixels(), antialiasAbove: antialiasAbove)
        let resizedMask = geometry.toNetwork(mask.pixels.map { $0 ? 1 : 0 }, antialiasAbove: antialiasAbove)
        let networkMask = resizedMask.map { BinaryMask.isForeground($0) ? Float(1) : 0 }
        let sequence = entries[id]?.sequence ?? nextSequence
        if entries[id] == nil { nextSequence += 1 }
        entries[id] = Entry(
            id: id, pair: ContextPair(image: networkImage, mask: networkMask),
            thumbnail: Self.thumbnail(networkImage, resolution: resolution), sequence: sequence)
        preparations += 1
    }

    /// Adds or replaces the entry `id` from a soft mask, thresholded by `BinaryMask.isForeground`.
    public mutating func insert(id: String, image: GreyImage, mask: [Float]) throws {
        guard mask.count == image.pixels.count else {
            throw PredictorError.contextMaskSizeMismatch(id: id, imagePixels: image.pixels.count, maskPixels: mask.count)
        }
        try insert(id: id, image: image, mask: BinaryMask(width: image.width, height: image.height, levels: mask))
    }

    @discardableResult
    public mutating func remove(id: String) -> Bool { entries.removeValue(forKey: id) != nil }

    /// Side of the square thumbnails compared by `similarity`.
    public static let thumbnailSide = 16

    /// A network-resolution image reduced to 16x16 by area averaging, minus its mean, scaled to
    /// unit length: the dot product of two thumbnails is then the Pearson correlation of their
    /// coarse layouts — cheap (256 multiply-adds per entry) and blind to brightness and contrast.
    ///
    /// Shapes: `image` [R, R] -> [16 * 16].
    public static func thumbnail(_ image: [Float], resolution: Int) -> [Float] {
        let axis = ResampleAxis(virtualCount: resolution, outputCount: thumbnailSide, filter: .antialiasedBilinear)
        var small = resample2D(image, inputWidth: resolution, inputHeight: resolution, rows: axis, columns: axis)
        let mean = small.reduce(0, +) / Float(small.count)
        var norm: Float = 0
        for i in small.indices {
            small[i] -= mean
            norm += small[i] * small[i]
        }
        norm = norm.squareRoot()
        // A constant image leaves only rounding residue after the mean is taken away; scaled to
        // unit length that residue would be noise posing as a layout. The threshold is relative
        // to the brightness, as the residue is.
        guard norm > 1e-5 * max(abs(mean), 1e-2) * Float(small.count).squareRoot() else {
            return [Float](repeating: 0, count: small.count)
        }
        return small.map { $0 / norm }
    }

    /// Cosine similarity of two thumbnails, in -1...1 (0 when either image is constant).
    public static func similarity(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        var dot: Float = 0
        for i in a.indices { dot += a[i] * b[i] }
        return dot
    }

    /// The entries to condition a target on: all of them when there are at most `limit`, else the
    /// `limit` with the most similar thumbnails (ties: the earlier inserted). Returned in
    /// insertion order, so the choice, not its ranking, decides the network input. `excluding`
    /// leaves out the target's own entry when it is being re-segmented.
    public func select(forThumbnail target: [Float], limit: Int, excluding: String? = nil) throws -> [Entry] {
        guard limit >= 1 else { throw PredictorError.invalidContextLimit(limit) }
        let candidates = orderedEntries.filter { $0.id != excluding }
        guard candidates.count > limit else { return candidates }
        let ranked = candidates
            .map { (entry: $0, score: Self.similarity(target, $0.thumbnail)) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.entry.sequence < $1.entry.sequence }
        return ranked.prefix(limit).map(\.entry).sorted { $0.sequence < $1.sequence }
    }
}
