import Imaging
import Inference
import ProjectStore
import Synchronization

/// Decoded images and prepared context sets, reused across predictions and brought up to date
/// when a label's context revision changes (here or in a collaborator's app).
///
/// ```swift
/// let cache = ContextCache()
/// let target = try cache.networkImage(project: project, image: "knee-07", window: nil)
/// let context = try cache.contextSet(project: project, label: "bone", model: model)
/// ```
final class ContextCache: Sendable {
    private struct ImageKey: Hashable {
        let project: String
        let image: String
        /// The same slice under another window is another network input.
        let window: LabelWindow?
    }

    private struct State {
        var images: [ImageKey: GreyImage] = [:]
        var imageOrder: [ImageKey] = []
        var imageBytes = 0
        var sets: [LabelKey: (revision: ContextRevision, set: ContextSet)] = [:]
    }

    /// Decoded images kept at most: a few large scans must not pin gigabytes (a 4000 x 3000
    /// image is 48 MB of floats), nor many small ones thousands of entries.
    let maxCachedImages: Int
    let maxCachedImageBytes: Int
    private let state = Mutex(State())

    init(maxCachedImages: Int = 48, maxCachedImageBytes: Int = 256 << 20) {
        self.maxCachedImages = maxCachedImages
        self.maxCachedImageBytes = maxCachedImageBytes
    }

    /// The image as the network sees it under the label's `window` (`Project.networkImage`:
    /// luminance at its original bit depth, or a volume slice through the window). `keep: false`
    /// reads it without caching.
    func networkImage(project: Project, image: String, window: LabelWindow?, keep: Bool = true) throws -> GreyImage {
        let key = ImageKey(project: project.id, image: image, window: window)
        if let cached = state.withLock({ $0.images[key] }) { return cached }
        // Decoded outside the lock: other pages' images need not wait for this one.
        let grey = try project.networkImage(image, window: window)
        guard keep else { return grey }
        let (limit, byteLimit) = (maxCachedImages, maxCachedImageBytes)
        state.withLock { state in
            if let old = state.images[key] {
                state.imageBytes -= Self.bytes(old)
            } else {
                state.imageOrder.append(key)
            }
            state.images[key] = grey
            state.imageBytes += Self.bytes(grey)
            while state.imageOrder.count > 1 && (state.imageOrder.count > limit || state.imageBytes > byteLimit) {
                let evicted = state.imageOrder.removeFirst()
                if let old = state.images.removeValue(forKey: evicted) { state.imageBytes -= Self.bytes(old) }
            }
        }
        return grey
    }

    /// Decoded images held, and their bytes (for tests).
    var cachedImages: (count: Int, bytes: Int) {
        state.withLock { ($0.images.count, $0.imageBytes) }
    }

    /// The label's included context entries at `revision` (read by the caller, once per
    /// prediction), prepared at the network's resolution. Only entries that are new or whose mask
    /// changed since the last call are prepared again; all of them when the label's window changed
    /// (every image then looks different to the network).
    func contextSet(project: Project, label: String, revision: ContextRevision, model: ModelRunner) throws -> ContextSet {
        let key = LabelKey(project, label)
        var cached = state.withLock { $0.sets[key] }
        if let old = cached, old.revision == revision { return old.set }
        if let old = cached, old.revision.window != revision.window { cached = nil }
        var set = cached?.set ?? model.makeContextSet()
        let volumes = revision.window == nil ? nil : project.volumeIndex()
        try set.update(to: revision.includedInOrder, from: cached?.revision.includedVersions ?? [:]) { id in
            project.contextEntryData(label: label, image: id, window: revision.window, volumes: volumes)
        }
        let prepared = set
        state.withLock { $0.sets[key] = (revision, prepared) }
        return prepared
    }

    private static func bytes(_ image: GreyImage) -> Int { image.pixels.count * MemoryLayout<Float>.size }
}
