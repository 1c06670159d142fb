import Imaging

/// The connected components of a mask's foreground, 8-connected (diagonal neighbours touch, as
/// a user sees a region).
///
/// ```swift
/// let components = ConnectedComponents(mask)
/// components.count                  // how many regions
/// let biggest = components.largest  // BinaryMask of the largest one, nil when empty
/// ```
public struct ConnectedComponents: Sendable {
    /// Per pixel: 0 for background, else the component number 1...count.
    public let labels: [Int]
    /// Pixel count of component i + 1 at index i.
    public let sizes: [Int]
    public let width: Int
    public let height: Int

    public var count: Int { sizes.count }

    // Shapes: mask [H][W] -> labels [H][W]. Matches scipy.ndimage.label with a 3x3 structure
    // (component numbers in raster order of each component's first pixel).
    public init(_ mask: BinaryMask) {
        width = mask.width
        height = mask.height
        var labels = [Int](repeating: 0, count: mask.pixels.count)
        var sizes: [Int] = []
        var stack: [Int] = []
        for start in 0..<mask.pixels.count where mask.pixels[start] && labels[start] == 0 {
            let label = sizes.count + 1
            var size = 0
            labels[start] = label
            stack.append(start)
            while let index = stack.popLast() {
                size += 1
                let x = index % width, y = index / width
                for dy in -1...1 {
                    let ny = y + dy
                    guard ny >= 0 && ny < height else { continue }
                    for dx in -1...1 {
                        let nx = x + dx
                        guard nx >= 0 && nx < width else { continue }
                        let neighbour = ny * width + nx
                        if mask.pixels[neighbour] && labels[neighbour] == 0 {
                            labels[neighbour] = label
                            stack.append(neighbour)
                        }
                    }
                }
            }
            sizes.append(size)
        }
        self.labels = labels
        self.sizes = sizes
    }

    /// The component numbered `label` (1...count) as a mask.
    public func mask(of label: Int) -> BinaryMask {
        precondition(label >= 1 && label <= count, "no component \(label)")
        return BinaryMask(width: width, height: height, pixels: labels.map { $0 == label })
    }

    /// The number of the largest component (ties: the first in raster order), nil when empty.
    public var largestLabel: Int? {
        guard let best = sizes.indices.max(by: { sizes[$0] < sizes[$1] || (sizes[$0] == sizes[$1] && $0 > $1) })
        else { return nil }
        return best + 1
    }

    /// The largest component as a mask, nil when there is no foreground.
    public var largest: BinaryMask? { largestLabel.map { mask(of: $0) } }
}
