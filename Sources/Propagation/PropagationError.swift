/// Why `propagate` (or its shard or batch-script set-up) cannot go on; each message says what to do.
public enum PropagationError: Error, Equatable, CustomStringConvertible {
    /// `--shard` or the Slurm environment names no valid shard (`source`: where it came from).
    case invalidShard(text: String, source: String)
    /// The label has no included context entry: there is nothing to predict from.
    case emptyContext(label: String)
    /// `--images` names images the project does not have.
    case unknownImages([String])
    /// The context changed while it was being read, again and again (a collaborator accepting).
    case contextKeptChanging(label: String)

    public var description: String {
        switch self {
        case let .invalidShard(text, source):
            return "\(source) '\(text.prefix(64))' is not a shard: use K/N with 0 <= K < N (e.g. 0/4), "
                + "or a contiguous Slurm job array (--array=0-3)"
        case let .emptyContext(label):
            return "label '\(label)' has no accepted image in its context set, so there is nothing to propagate from: "
                + "accept a few images of it in the app first"
        case let .unknownImages(ids):
            let shown = ids.prefix(5).map { "'\($0.prefix(64))'" }.joined(separator: ", ")
            return "no image \(shown)\(ids.count > 5 ? " (and \(ids.count - 5) more)" : "") in this project; "
                + "--images takes image ids as the project page lists them, comma-separated"
        case let .contextKeptChanging(label):
            return "the context set of '\(label)' kept changing while it was read; run propagate again when no one is accepting"
        }
    }
}
