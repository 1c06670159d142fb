/// Skeletons of binary regions and the centerline path through them.
public enum Skeleton {
    /// The one-pixel-wide skeleton of `mask` by Zhang–Suen thinning (pixels on the image border
    /// are thinned as if the outside were background).
    ///
    /// Shapes: [H][W] -> [H][W]. Close to skimage.morphology.skeletonize (same algorithm family).
    public static func thin(_ mask: BinaryMask) -> BinaryMask {
        let w = mask.width, h = mask.height
        var grid = mask.pixels
        func at(_ x: Int, _ y: Int) -> Bool { x >= 0 && y >= 0 && x < w && y < h && grid[y * w + x] }
        var changed = true
        var remove: [Int] = []
        while changed {
            changed = false
            for pass in 0..<2 {
                remove.removeAll(keepingCapacity: true)
                for y in 0..<h {
                    for x in 0..<w where grid[y * w + x] {
                        // Neighbours p2...p9 clockwise from north.
                        let p = [at(x, y - 1), at(x + 1, y - 1), at(x + 1, y), at(x + 1, y + 1),
                                 at(x, y + 1), at(x - 1, y + 1), at(x - 1, y), at(x - 1, y - 1)]
                        let neighbours = p.reduce(0) { $1 ? $0 + 1 : $0 }
                        guard neighbours >= 2 && neighbours <= 6 else { continue }
                        var transitions = 0
                        for i in 0..<8 where !p[i] && p[(i + 1) % 8] { transitions += 1 }
                        guard transitions == 1 else { continue }
                        if pass == 0 {
                            guard !(p[0] && p[2] && p[4]) && !(p[2] && p[4] && p[6]) else { continue }
                        } else {
                            guard !(p[0] && p[2] && p[6]) && !(p[0] && p[4] && p[6]) else { continue }
                        }
                        remove.append(y * w + x)
                    }
                }
                for index in remove { grid[index] = false }
                if !remove.isEmpty { changed = true }
            }
        }
        return BinaryMask(width: w, height: h, pixels: grid)
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
