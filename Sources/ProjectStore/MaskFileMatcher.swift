/// Which image of a project a mask file made elsewhere is for, by the file's name: the one rule
/// of `multiverseg import-masks` and of the project page's import (which asks the server,
/// `POST /api/projects/:p/labels/:l/masks/match`). A file names an image by its base name without
/// extension, or without a suffix such as `_mask`, `-seg` or `_Annotation` (HC18 names its masks
/// `000_HC_Annotation.png`), compared exactly first, then ignoring case and punctuation.
///
/// ```swift
/// let matcher = MaskFileMatcher(imageIDs: project.imageIDs())
/// matcher.image(for: "000_HC_Annotation.png")   // "000_HC"
/// matcher.image(for: "notes.png")               // nil: MaskFileMatcher.noMatch says why
/// ```
public struct MaskFileMatcher: Sendable {
    /// The suffixes a mask's name may add to its image's, after `_` or `-`, in any case.
    public static let suffixes = ["mask", "masks", "seg", "segmentation", "label", "labels", "annotation", "gt"]

    /// What to tell someone whose file names no image.
    public static let noMatch = "no image of this name in the project (name a mask like its image: scan.png or scan_mask.png)"

    private let ids: Set<String>
    /// Each image's name ignoring case and punctuation, to the first id (in the given order)
    /// with that name: made once, so matching a thousand files in a project of 10,000 images
    /// does not compare every file with every image.
    private let byNormalName: [String: String]

    public init(imageIDs: [String]) {
        ids = Set(imageIDs)
        var byNormalName: [String: String] = [:]
        for id in imageIDs where byNormalName[Self.normal(id)] == nil { byNormalName[Self.normal(id)] = id }
        self.byNormalName = byNormalName
    }

    /// The image `fileName` (a name or a path) is the mask of, or nil when it names none.
    public func image(for fileName: String) -> String? {
        var base = String(fileName.split(separator: "/").last ?? "")
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = String(base[..<dot]) }
        let candidates = [base, Self.withoutSuffix(base)]
        for candidate in candidates where ids.contains(candidate) { return candidate }
        for candidate in candidates {
            if let found = byNormalName[Self.normal(candidate)] { return found }
        }
        return nil
    }

    static func withoutSuffix(_ base: String) -> String {
        let lower = base.lowercased()
        for suffix in suffixes {
            for separator in ["_", "-"] where lower.hasSuffix(separator + suffix) && lower.count > suffix.count + 1 {
                return String(base.dropLast(suffix.count + 1))
            }
        }
        return base
    }

    /// Lower case, each run of characters other than ASCII letters, digits, '.' and '-' as one '_'.
    static func normal(_ text: String) -> String {
        var result = ""
        var inRun = false
        for character in text.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber || character == "." || character == "-") {
                result.append(character)
                inRun = false
            } else if !inRun {
                result.append("_")
                inRun = true
            }
        }
        return result
    }
}
