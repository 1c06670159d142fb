/// The app's version, printed by `multiverseg --version`, written into `eval` reports and reported
/// by `/api/health`. It lives here, at the bottom of the Swift layers, so every command can name
/// it without importing the server.
///
/// ```swift
/// print("multiverseg \(MultiverSegVersion.string)")   // "multiverseg 0.1.0"
/// ```
public enum MultiverSegVersion {
    public static let string = "0.1.0"
}
