/// The app's version, printed by `multiverseg --version` and reported by `/api/health`.
public enum MultiverSegVersion {
    public static let string = "0.1.0"
}
