/// Names that become file names inside a project folder: project ids, image ids, label names.
///
/// A valid identifier is 1-128 characters of letters, digits, `.`, `_` and `-`, starting with a
/// letter or digit, so it can never be `..`, a hidden file, or contain a path separator.
public enum Identifier {
    public static func isValid(_ text: String) -> Bool {
        guard (1...128).contains(text.utf8.count), let first = text.unicodeScalars.first,
              isAlphanumeric(first) else { return false }
        return text.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    /// Image file extensions dropped from uploaded file names.
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "tif", "tiff", "bmp", "gif", "webp"]

    /// Turns any name (a file name, a project title) into a valid identifier, or nil when nothing
    /// usable is left. `"Scan 01 (left).png"` becomes `"Scan_01_left"`. For file names only the last
    /// path component counts and an image extension is dropped.
    public static func sanitize(_ name: String, droppingExtension: Bool = true) -> String? {
        var base = name
        if droppingExtension {
            if let slash = base.lastIndex(where: { $0 == "/" || $0 == "\\" }) {
                base = String(base[base.index(after: slash)...])
            }
            if let dot = base.lastIndex(of: "."), imageExtensions.contains(base[base.index(after: dot)...].lowercased()) {
                base = String(base[..<dot])
            }
        }
        var out = ""
        var lastWasUnderscore = false
        for scalar in base.unicodeScalars {
            if isAlphanumeric(scalar) || scalar == "-" || scalar == "." {
                out.unicodeScalars.append(scalar)
                lastWasUnderscore = false
            } else if !lastWasUnderscore {
                out += "_"
                lastWasUnderscore = true
            }
        }
        while let first = out.unicodeScalars.first, !isAlphanumeric(first) { out.unicodeScalars.removeFirst() }
        while out.hasSuffix("_") || out.hasSuffix(".") { out.removeLast() }
        if out.utf8.count > 128 { out = String(out.prefix(128)) }
        return isValid(out) ? out : nil
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
