import Foundation
import Imaging
import PNGCodec
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
            let rows = masks.map { ExportedMask(file: "\($0.image).png", image: $0.image, context: context) }
            let proposalRows = includeProposals ? proposals.map { item, _ in
                ExportedProposal(file: "proposals/\(item.image).png", image: item.image, reviewed: false,
                                 draft: item.record.isDraft, stale: item.stale, uncertainty: item.record.uncertainty,
                                 contextRevision: item.record.contextRevision, model: item.record.model,
                                 createdAt: item.record.createdAt)
            } : nil
            let document = ExportManifest(project: id, label: label, exportedAt: Self.timestamp(Date()), masks: rows,
                                          proposals: proposalRows)
            try zip.add(name: "manifest.json", bytes: try Self.exportJSON(document))
        }
        return zip.finish()
    }

    /// All labels at once: for every image with an accepted mask of at least one label, one 8-bit
    /// grey PNG `<image>.png` of the image's size whose pixels are 0 (no label) or k for the k-th
    /// label of the project (`labels()` order, 1-based). Where masks of several labels overlap, the
    /// label listed last wins. Images without any accepted mask are left out. The last file is
    /// `manifest.json` (`MulticlassManifest`): the value of each label, the overlap rule, and per
    /// image each mask's annotator, interactions, version and time, its pixel count and the
    /// overlapping pixels. Throws `nothingToExport` when no image has an accepted mask, and
    /// `tooManyLabels` beyond 255 labels.
    ///
    /// ```swift
    /// let files = try project.exportMulticlass()   // [("a.png", …), …, ("manifest.json", …)]
    /// ```
    public func exportMulticlass(at date: Date = Date()) throws -> [(name: String, bytes: [UInt8])] {
        let labels = try labels()
        guard !labels.isEmpty else { throw ProjectStoreError.nothingToExport("the project has no labels; add one first") }
        guard labels.count <= 255 else { throw ProjectStoreError.tooManyLabels(labels.count) }
        let contexts = try labels.map { try context(label: $0) }
        var files: [(name: String, bytes: [UInt8])] = []
        var rows: [MulticlassImage] = []
        let images = imageIDs()
        for image in images {
            let present = labels.indices.filter { isAccepted(label: labels[$0], image: image) }
            guard !present.isEmpty else { continue }
            let header = try imageHeader(image)
            var values = [UInt16](repeating: 0, count: header.width * header.height)
            var covered = [UInt8](repeating: 0, count: values.count)
            var masks: [MulticlassMask] = []
            for index in present {
                let label = labels[index]
                guard let mask = try mask(label: label, image: image) else { continue }
                guard mask.width == header.width, mask.height == header.height else {
                    throw ProjectStoreError.maskSizeMismatch(
                        image: image, expected: "\(header.width) x \(header.height)", actual: "\(mask.width) x \(mask.height) (label '\(label)')")
                }
                var count = 0
                for (pixel, on) in mask.pixels.enumerated() where on {
                    // Later labels overwrite earlier ones: the documented overlap rule.
                    values[pixel] = UInt16(index + 1)
                    covered[pixel] &+= 1
                    count += 1
                }
                masks.append(MulticlassMask(label: label, value: index + 1, pixels: count,
                                            entry: ExportedEntry(image: image, context: contexts[index])))
            }
            let png = try PNGImage.encode(samples: values, width: header.width, height: header.height,
                                          colorType: .grey, bitDepth: 8)
            files.append(("\(image).png", png))
            rows.append(MulticlassImage(file: "\(image).png", image: image, width: header.width, height: header.height,
                                        overlappingPixels: covered.reduce(0) { $0 + ($1 > 1 ? 1 : 0) }, masks: masks))
        }
        guard !files.isEmpty else {
            throw ProjectStoreError.nothingToExport("no image has an accepted mask of any label yet; accept one first")
        }
        let manifest = MulticlassManifest(
            project: id, exportedAt: Self.timestamp(date),
            labels: labels.enumerated().map { MulticlassManifest.Value(value: $0.offset + 1, label: $0.element) },
            imagesWithoutMasks: images.count - files.count, images: rows)
        files.append(("manifest.json", try Self.exportJSON(manifest)))
        return files
    }

    /// `exportMulticlass` as a ZIP archive.
    public func exportMulticlassZip() throws -> [UInt8] {
        var zip = ZipWriter()
        for file in try exportMulticlass() { try zip.add(name: file.name, bytes: file.bytes) }
        return zip.finish()
    }

    /// `exportMulticlass` into the folder `destination`, written all at once like `exportMasks`
    /// (an existing folder is replaced only when it holds nothing but PNGs and `manifest.json`).
    /// Returns the number of PNGs.
    @discardableResult
    public func exportMulticlass(to destination: String) throws -> Int {
        let files = try exportMulticlass()
        try FileSystem.writeFolderAtomically(files, to: destination, allowedExtension: "png", allowedNames: ["manifest.json"])
        return files.count - 1
    }

    static func exportJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(value)) + [10]
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

    /// What an export says of an accepted mask, from its context entry (or the removed one it
    /// had): the fields a per-label and a multi-class manifest share. The entry's fields are left
    /// out for a mask copied in by hand.
    struct ExportedEntry: Encodable {
        let version: Int?
        let annotator: String?
        let acceptedAt: String?
        let interactions: Int?
        let inContext: Bool
        let included: Bool

        init(image: String, context: ContextManifest) {
            let entry = context.entry(image) ?? context.removedEntries.last { $0.id == image }
            version = entry?.version
            annotator = entry?.annotator
            acceptedAt = entry?.acceptedAt
            interactions = entry?.interactions
            inContext = context.entry(image) != nil
            included = context.entry(image)?.included ?? false
        }
    }

    /// A mask in a per-label export: its file and image beside its entry's fields (one flat row,
    /// as Docs/project-format.md shows).
    struct ExportedMask: Encodable {
        let file: String
        let image: String
        let entry: ExportedEntry

        init(file: String, image: String, context: ContextManifest) {
            self.file = file
            self.image = image
            entry = ExportedEntry(image: image, context: context)
        }

        private enum CodingKeys: CodingKey { case file, image }

        func encode(to encoder: any Encoder) throws {
            var row = encoder.container(keyedBy: CodingKeys.self)
            try row.encode(file, forKey: .file)
            try row.encode(image, forKey: .image)
            try entry.encode(to: encoder)
        }
    }

    /// `manifest.json` of a multi-class export (Docs/project-format.md, "Multi-class export").
    struct MulticlassManifest: Encodable {
        struct Value: Encodable {
            let value: Int
            let label: String
        }

        let project: String
        let exportedAt: String
        let format = "multiclass-png"
        /// 0 is background; label k of the project's list is value k.
        let labels: [Value]
        let overlap = "where masks of several labels cover a pixel, it takes the value of the label listed last"
        let imagesWithoutMasks: Int
        let images: [MulticlassImage]
    }

    struct MulticlassImage: Encodable {
        let file: String
        let image: String
        let width: Int
        let height: Int
        /// Pixels in more than one label's mask (each got the last label's value).
        let overlappingPixels: Int
        let masks: [MulticlassMask]
    }

    /// A label's mask of an image in a multi-class export: its label and value beside its entry's
    /// fields (one flat row).
    struct MulticlassMask: Encodable {
        let label: String
        let value: Int
        /// Foreground pixels of this label's mask (before overlaps were resolved).
        let pixels: Int
        let entry: ExportedEntry

        private enum CodingKeys: CodingKey { case label, value, pixels }

        func encode(to encoder: any Encoder) throws {
            var row = encoder.container(keyedBy: CodingKeys.self)
            try row.encode(label, forKey: .label)
            try row.encode(value, forKey: .value)
            try row.encode(pixels, forKey: .pixels)
            try entry.encode(to: encoder)
        }
    }
}
