import Imaging

/// What a label's context set is at one moment, as far as predictions are concerned: its
/// entries in order, each with its mask version and whether it is included. Equal revisions mean
/// the network would see the same context, so a prediction made under one can be reused under
/// the other; an accept, a re-accept, an exclusion or a removal (here or by a collaborator's app
/// on a shared folder) gives a new one.
///
/// ```swift
/// let before = project.contextRevision(label: "bone")
/// try project.accept(label: "bone", image: "knee-07", mask: mask)
/// project.contextRevision(label: "bone") == before   // false
/// ```
public struct ContextRevision: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public let id: String
        public let version: Int
        public let included: Bool
    }

    /// The manifest's entries in order; nil when it could not be read (no label, a broken file).
    public let entries: [Entry]?
    /// The label's window: the network sees every image through it, so a new window is a new
    /// revision (context sets and cached predictions are made again).
    public let window: LabelWindow?

    public init(manifest: ContextManifest?) {
        entries = manifest?.entries.map { Entry(id: $0.id, version: $0.version, included: $0.included) }
        window = manifest?.window
    }

    /// The mask version of each included entry, by image id.
    public var includedVersions: [String: Int] {
        Dictionary((entries ?? []).filter(\.included).map { ($0.id, $0.version) }, uniquingKeysWith: { first, _ in first })
    }

    /// How many entries the network is given (0 when the manifest could not be read).
    public var includedCount: Int { (entries ?? []).filter(\.included).count }
}

extension Project {
    /// The label's context revision as it is on disk now; one that cannot be read is a revision
    /// of its own (`entries == nil`), so it still differs from every readable one.
    public func contextRevision(label: String) -> ContextRevision {
        ContextRevision(manifest: try? context(label: label))
    }
}

extension ContextRevision {
    /// The included entries' ids and mask versions in manifest order: the order in which a
    /// context set is built from them, so every process builds the same one.
    public var includedInOrder: [(id: String, version: Int)] {
        (entries ?? []).filter(\.included).map { ($0.id, $0.version) }
    }

    /// A stable name for this revision, for files that record which context they were made from
    /// (`proposals/<label>/<image>.json`): 16 hex digits of FNV-1a over every entry's id, version
    /// and inclusion in order, or `"unreadable"`. Equal revisions have equal fingerprints in every
    /// process; different ones differ but for a 2⁻⁶⁴ chance.
    ///
    /// ```swift
    /// project.contextRevision(label: "head").fingerprint   // "5f0c9e2a41d7b3c8"
    /// ```
    public var fingerprint: String {
        guard let entries else { return "unreadable" }
        var text = entries.map { "\($0.id)\t\($0.version)\t\($0.included ? 1 : 0)\n" }.joined()
        // Only a set window adds to the text: revisions without one keep their earlier fingerprints.
        if let window {
            text += "window\t\(window.preset.rawValue)\t\(window.center.map { "\($0)" } ?? "")\t\(window.width.map { "\($0)" } ?? "")\n"
        }
        return StableHash.hex(StableHash.fnv1a64("context-revision-1\n" + text))
    }
}

extension Project {
    /// A context entry's image as the network sees it (`networkImage`, under the revision's
    /// `window`) and its accepted mask, as a context set takes them; nil when either is missing,
    /// broken or of another size (a hand-edited folder), so the entry is left out rather than
    /// failing every prediction of the label.
    ///
    /// ```swift
    /// let volumes = project.volumeIndex()
    /// try set.update(to: revision.includedInOrder, from: [:]) {
    ///     project.contextEntryData(label: "head", image: $0, window: revision.window, volumes: volumes)
    /// }
    /// ```
    public func contextEntryData(label: String, image: String, window: LabelWindow?, volumes: VolumeIndex? = nil)
        -> (image: GreyImage, mask: BinaryMask)?
    {
        guard let mask = try? mask(label: label, image: image),
              let grey = try? networkImage(image, window: window, volumes: volumes) else { return nil }
        guard mask.width == grey.width, mask.height == grey.height else { return nil }
        return (grey, mask)
    }
}
