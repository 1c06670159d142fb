import Imaging

/// Skeletons of binary regions and the centerline path through them.
public enum Skeleton {
    /// The one-pixel-wide skeleton of `mask` by Zhang–Suen thinning (pixels on the image border
    /// are thinned as if the outside were background).
    ///
    /// Shapes: [H][W] -> [H][W]. Close to skimage.morphology.skeletonize (same algorithm family).
    public static func thin(_ mask: BinaryMask) -> BinaryMask {
        let w = mask.width, h = mask.height
        // A one-pixel background frame removes the bounds checks from the neighbour reads.
        let pw = w + 2
        var grid = [UInt8](repeating: 0, count: pw * (h + 2))
        var active: [Int] = []
        for y in 0..<h {
            for x in 0..<w where mask[x, y] {
                grid[(y + 1) * pw + x + 1] = 1
                active.append((y + 1) * pw + x + 1)
            }
        }
        // Neighbour offsets p2...p9, clockwise from north.
        let offsets = [-pw, -pw + 1, 1, pw + 1, pw, pw - 1, -1, -pw - 1]
        var remove: [Int] = []
        var changed = true
        grid.withUnsafeMutableBufferPointer { g in
            while changed {
                changed = false
                for pass in 0..<2 {
                    remove.removeAll(keepingCapacity: true)
                    for i in active {
                        var bits = 0
                        for k in 0..<8 where g[i + offsets[k]] != 0 { bits |= 1 << k }
                        let neighbours = bits.nonzeroBitCount
                        guard neighbours >= 2 && neighbours <= 6 else { continue }
                        var transitions = 0
                        for k in 0..<8 where bits & (1 << k) == 0 && bits & (1 << ((k + 1) & 7)) != 0 { transitions += 1 }
                        guard transitions == 1 else { continue }
                        let n = bits & 1 != 0, e = bits & 4 != 0, south = bits & 16 != 0, west = bits & 64 != 0
                        if pass == 0 {
                            guard !(n && e && south) && !(e && south && west) else { continue }
                        } else {
                            guard !(n && e && west) && !(n && south && west) else { continue }
                        }
                        remove.append(i)
                    }
                    for i in remove { g[i] = 0 }
                    if !remove.isEmpty {
                        changed = true
                        active.removeAll { g[$0] == 0 }
                    }
                }
            }
        }
        var out = BinaryMask(width: w, height: h)
        for i in active { out.pixels[(i / pw - 1) * w + (i % pw - 1)] = true }
        return out
    }

    /// The longest path through the skeleton of `region` (which should be one connected
    /// component): the pixels from one end of the skeleton to the farthest other end, found by
    /// two breadth-first searches. A region that thins to nothing gives its most interior pixel.
    ///
    /// Every returned pixel lies inside `region`.
    public static func centerline(of region: BinaryMask) -> [PixelPosition] {
        let skeleton = thin(region)
        let w = region.width
        guard let start = skeleton.pixels.firstIndex(of: true) else {
            guard let inner = DistanceTransform.deepestPixel(of: region) else { return [] }
            return [inner]
        }
        let (far, _) = breadthFirst(from: start, in: skeleton)
        let (other, parents) = breadthFirst(from: far, in: skeleton)
        var path: [PixelPosition] = []
        var index = other
        while index >= 0 {
            path.append(PixelPosition(x: index % w, y: index / w))
            index = parents[index]
        }
        return path
    }

    // The pixel farthest (in steps, 8-connected) from `start` and the parent of each visited one.
    private static func breadthFirst(from start: Int, in mask: BinaryMask) -> (farthest: Int, parents: [Int]) {
        let w = mask.width, h = mask.height
        var parents = [Int](repeating: -2, count: mask.pixels.count)
        parents[start] = -1
        var queue = [start]
        var head = 0
        while head < queue.count {
            let index = queue[head]
            head += 1
            let x = index % w, y = index / w
            for dy in -1...1 {
                for dx in -1...1 where dx != 0 || dy != 0 {
                    let nx = x + dx, ny = y + dy
                    guard nx >= 0 && ny >= 0 && nx < w && ny < h else { continue }
                    let n = ny * w + nx
                    if mask.pixels[n] && parents[n] == -2 {
                        parents[n] = index
                        queue.append(n)
                    }
                }
            }
        }
        return (queue[queue.count - 1], parents)
    }
}

extension DistanceTransform {
    /// The foreground pixel farthest from the background, nil for an empty mask: the "center"
    /// of a region in the paper's click protocol. Several pixels often tie (a rectangle's
    /// middle row); the one nearest their mean position wins, so a click lands in the middle of
    /// the tie rather than at its first pixel (remaining ties: the first in raster order).
    public static func deepestPixel(of mask: BinaryMask) -> PixelPosition? {
        let distance = distanceToBackground(mask)
        guard let deepest = distance.indices.filter({ mask.pixels[$0] }).map({ distance[$0] }).max() else { return nil }
        let tied = distance.indices.filter { mask.pixels[$0] && distance[$0] == deepest }
        let w = mask.width
        let meanX = Double(tied.reduce(0) { $0 + $1 % w }) / Double(tied.count)
        let meanY = Double(tied.reduce(0) { $0 + $1 / w }) / Double(tied.count)
        func offset(_ i: Int) -> Double {
            let dx = Double(i % w) - meanX, dy = Double(i / w) - meanY
            return dx * dx + dy * dy
        }
        let best = tied.min { offset($0) < offset($1) }!
        return PixelPosition(x: best % w, y: best / w)
    }
}
