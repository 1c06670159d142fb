/// The app's version, printed by `--version` and reported by `/api/health`.
enum MultiverSegVersion {
    static let string = "0.1.0"
}
