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
    ///
    /// With `includeProposals`, the proposals and drafts not reviewed yet are written too, marked
    /// by their name: `<image>.proposal.png` (an accepted mask is never one of them).
    @discardableResult
    public func exportMasks(label: String, to destination: String, includeProposals: Bool = false) throws -> Int {
        let masks = try acceptedMasks(label: label)
        let proposals = includeProposals ? try unreviewedProposals(label: label) : []
        try FileSystem.writeFolderAtomically(
            masks.map { ("\($0.image).png", $0.png) } + proposals.map { ("\($0.item.image).proposal.png", $0.png) },
            to: destination, allowedExtension: "png")
        return masks.count + proposals.count
    }

    /// The proposals and drafts of a label waiting for review with their PNGs, most uncertain first.
    public func unreviewedProposals(label: String) throws -> [(item: ProposalItem, png: [UInt8])] {
        try proposalQueue(label: label).items.compactMap { item in
            guard let png = try proposalPNG(label: label, image: item.image) else { return nil }
            return (item, png)
        }
    }

    /// The accepted masks of a label as a ZIP archive of `<image>.png` files.
    /// With `manifest`, the archive also holds `manifest.json`: for each mask who accepted it,
    /// when, with how many interactions, its version and whether it is in the context set.
    /// With `includeProposals`, the proposals and drafts not reviewed yet go under `proposals/`
    /// and are listed in the manifest (which is then always written) as `"reviewed": false`.
    public func exportZip(label: String, manifest: Bool = false, includeProposals: Bool = false) throws -> [UInt8] {
        var zip = ZipWriter()
        let masks = try acceptedMasks(label: label)
        for (image, png) in masks { try zip.add(name: "\(image).png", bytes: png) }
        let proposals = includeProposals ? try unreviewedProposals(label: label) : []
        for (item, png) in proposals { try zip.add(name: "proposals/\(item.image).png", bytes: png) }
        if manifest || includeProposals {
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
            let proposalRows = includeProposals ? proposals.map { item, _ in
                ExportedProposal(file: "proposals/\(item.image).png", image: item.image, reviewed: false,
                                 draft: item.record.isDraft, stale: item.stale, uncertainty: item.record.uncertainty,
                                 contextRevision: item.record.contextRevision, model: item.record.model,
                                 createdAt: item.record.createdAt)
            } : nil
            let document = ExportManifest(project: id, label: label, exportedAt: Self.timestamp(Date()), masks: rows,
                                          proposals: proposalRows)
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
        /// Only with `includeProposals`.
        let proposals: [ExportedProposal]?
    }

    /// A proposal or draft in an export: not reviewed, not an accepted mask.
    struct ExportedProposal: Encodable {
        let file: String
        let image: String
        let reviewed: Bool
        let draft: Bool
        let stale: Bool
        let uncertainty: Double
        let contextRevision: String
        let model: String
        let createdAt: String
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
