import Imaging
import PNGCodec

/// Which volume each image of a project is a slice of, from the sidecars in `volumes/`: made
/// once per batch of images (a context set, a propagate run) rather than once per image. The
/// listing and the sidecars behind it are remembered by their stamps (`volumeIDs()`, `volume(_:)`).
///
/// ```swift
/// let volumes = project.volumeIndex()
/// if let (sidecar, position) = volumes.slice(of: "ct_axial_042") { print(sidecar.id, position) }
/// ```
public struct VolumeIndex: Sendable {
    public let volumes: [VolumeSidecar]
    private let positions: [String: (volume: Int, slice: Int)]

    public init(volumes: [VolumeSidecar]) {
        self.volumes = volumes
        var positions: [String: (Int, Int)] = [:]
        for (v, sidecar) in volumes.enumerated() {
            for (s, slice) in sidecar.slices.enumerated() where positions[slice.image] == nil { positions[slice.image] = (v, s) }
        }
        self.positions = positions
    }

    /// The volume holding `image` and the image's position in its `slices` (0-based), or nil for
    /// an image that is no volume slice.
    public func slice(of image: String) -> (volume: VolumeSidecar, position: Int)? {
        positions[image].map { (volumes[$0.volume], $0.slice) }
    }
}

extension Project {
    /// Every readable volume sidecar, indexed by image (unreadable sidecars are left out here;
    /// `volume(_:)` names their problem).
    public func volumeIndex() -> VolumeIndex {
        VolumeIndex(volumes: volumeIDs().compactMap { try? volume($0) })
    }

    /// Sets (or with nil, clears) the label's window, in its context manifest under the project
    /// lock. Every app and `propagate` then see the label's volume slices through it.
    ///
    /// ```swift
    /// try project.setWindow(label: "liver", window: LabelWindow(preset: .softTissue))
    /// ```
    public func setWindow(label: String, window: LabelWindow?) throws {
        try requireLabel(label)
        try window?.validate()
        try mutate {
            var manifest = try context(label: label)
            manifest.window = window
            try write(json: manifest, to: layout.context(label: label))
        }
    }

    /// The window `window` gives a slice of `sidecar`, as (center, width) in source units; nil
    /// when there is none to apply (no window set, or percentiles the sidecar lacks).
    public static func resolvedWindow(_ window: LabelWindow?, for sidecar: VolumeSidecar) -> (center: Double, width: Double)? {
        window?.resolved(percentiles: sidecar.percentiles)
    }

    /// The image as the network sees it, the one function the app's predictions, its context
    /// sets and `propagate` all use: a volume slice under a label window becomes the window's
    /// 0...1 (`LabelWindow.apply` over the sidecar's intensity mapping); any other image (every
    /// image of an 8-bit project, or no window set) is its luminance at its bit depth, which the
    /// predictor min-max rescales as before.
    ///
    /// ```swift
    /// let revision = project.contextRevision(label: "liver")
    /// let target = try project.networkImage("ct_axial_042", window: revision.window)
    /// ```
    public func networkImage(_ image: String, window: LabelWindow?, volumes: VolumeIndex? = nil) throws -> GreyImage {
        let png = try loadImage(image)
        guard let window, let (sidecar, _) = (volumes ?? volumeIndex()).slice(of: image),
              let resolved = Self.resolvedWindow(window, for: sidecar) else { return GreyImage(png) }
        return try LabelWindow.apply(resolved, mapping: sidecar.intensity, to: png)
    }
}
