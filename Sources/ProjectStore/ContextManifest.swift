/// One accepted image of a label: who accepted it, when, how many interactions it took, and whether
/// it currently conditions the network.
public struct ContextEntry: Codable, Sendable, Equatable {
    public var id: String
    /// 1 for the first accepted mask; earlier versions are kept in `history/`.
    public var version: Int
    public var annotator: String
    /// ISO 8601, UTC.
    public var acceptedAt: String
    public var interactions: Int
    /// Excluded entries keep their mask but are not given to the network.
    public var included: Bool

    public init(id: String, version: Int, annotator: String, acceptedAt: String, interactions: Int, included: Bool) {
        self.id = id
        self.version = version
        self.annotator = annotator
        self.acceptedAt = acceptedAt
        self.interactions = interactions
        self.included = included
    }
}

/// `context/<label>.json`: the ordered context set of one label (in the order images were first
/// accepted).
public struct ContextManifest: Codable, Sendable, Equatable {
    public static let currentSchema = 1

    public var schema: Int
    public var label: String
    public var entries: [ContextEntry]
    /// Entries removed from the context set whose masks stay accepted, kept so that including the
    /// image again restores its entry. Absent from the file while empty (older apps ignore it).
    public var removed: [ContextEntry]?
    /// The label's intensity window for volume slices (display and network input); absent while
    /// none is set, so the file stays as older apps wrote it (`Project.setWindow`).
    public var window: LabelWindow?

    public init(label: String, entries: [ContextEntry] = []) {
        self.schema = Self.currentSchema
        self.label = label
        self.entries = entries
    }

    /// `removed`, empty when absent.
    public var removedEntries: [ContextEntry] {
        get { removed ?? [] }
        set { removed = newValue.isEmpty ? nil : newValue }
    }

    public var includedEntries: [ContextEntry] { entries.filter(\.included) }

    public func entry(_ id: String) -> ContextEntry? { entries.first { $0.id == id } }
}
