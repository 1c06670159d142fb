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

    public init(manifest: ContextManifest?) {
        entries = manifest?.entries.map { Entry(id: $0.id, version: $0.version, included: $0.included) }
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
