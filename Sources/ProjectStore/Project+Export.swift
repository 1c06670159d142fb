import Foundation
import ZIP

// Accepted masks out of the project: a folder of PNGs or a ZIP archive.

extension Project {
    /// The accepted masks of a label, as (image id, PNG bytes), in image order.
    public func acceptedMasks(label: String) throws -> [(image: String, png: [UInt8])] {
        try requireLabel(label)
        return try imageIDs().compactMap { image in
            let path = maskPath(label: label, image: image)
            guard FileSystem.exists(path) else { return nil }
            return (image, try storage { try FileSystem.read(try inside(path)) })
        }
    }

    /// Writes `<image>.png` (0/255, original size) for every accepted mask into the folder
    /// `destination`, all at once: a killed export leaves no folder (or the previous export), never
    /// a partial set that looks complete. An existing folder is replaced only when it holds nothing
    /// but PNG files. Throws `FileSystemError` (with the path, for the terminal) when it cannot.
    @discardableResult
    public func exportMasks(label: String, to destination: String) throws -> Int {
        let masks = try acceptedMasks(label: label)
        try FileSystem.writeFolderAtomically(masks.map { ("\($0.image).png", $0.png) }, to: destination,
                                             allowedExtension: "png")
        return masks.count
    }

    /// The accepted masks of a label as a ZIP archive of `<image>.png` files.
    /// With `manifest`, the archive also holds `manifest.json`: for each mask who accepted it,
    /// when, with how many interactions, its version and whether it is in the context set.
    public func exportZip(label: String, manifest: Bool = false) throws -> [UInt8] {
        var zip = ZipWriter()
        let masks = try acceptedMasks(label: label)
        for (image, png) in masks { try zip.add(name: "\(image).png", bytes: png) }
        if manifest {
            let context = try context(label: label)
            let rows = masks.map { mask -> ExportedMask in
                let entry = context.entry(mask.image) ?? context.removedEntries.last { $0.id == mask.image }
                return ExportedMask(file: "\(mask.image).png", image: mask.image, version: entry?.version,
                                    annotator: entry?.annotator, acceptedAt: entry?.acceptedAt,
                                    interactions: entry?.interactions, inContext: context.entry(mask.image) != nil,
                                    included: context.entry(mask.image)?.included ?? false)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let document = ExportManifest(project: id, label: label, exportedAt: Self.timestamp(Date()), masks: rows)
            try zip.add(name: "manifest.json", bytes: [UInt8](try encoder.encode(document)) + [10])
        }
        return zip.finish()
    }

    /// `manifest.json` of an export: one row per mask file.
    struct ExportManifest: Encodable {
        let project: String
        let label: String
        let exportedAt: String
        let masks: [ExportedMask]
    }

    /// A mask in an export; the entry's fields are null for a mask copied in by hand.
    struct ExportedMask: Encodable {
        let file: String
        let image: String
        let version: Int?
        let annotator: String?
        let acceptedAt: String?
        let interactions: Int?
        let inContext: Bool
        let included: Bool
    }
}
