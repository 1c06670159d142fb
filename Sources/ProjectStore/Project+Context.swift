import Foundation
import Imaging
import PNGCodec

// Accepted masks, the context set and the history of earlier versions.

extension Project {
    /// Where the accepted mask of `image` for `label` is (whether or not there is one).
    public func maskPath(label: String, image: String) -> String { layout.mask(label: label, image: image) }

    /// Whether `image` has an accepted mask for `label`: the file is there and, when it is a link,
    /// stays inside the project folder (a link leading out is no mask). Invalid ids have none.
    ///
    /// ```swift
    /// let unlabeled = project.imageIDs().filter { !project.isAccepted(label: "head", image: $0) }
    /// ```
    public func isAccepted(label: String, image: String) -> Bool {
        guard Identifier.isValid(label), Identifier.isValid(image) else { return false }
        let path = layout.mask(label: label, image: image)
        return FileSystem.exists(path) && FileSystem.isInside(path, folder: resolvedFolder)
    }

    /// The ids of the images with an accepted mask for `label`, each as `isAccepted` says (so an
    /// image removed from the context set keeps its place here). One listing of
    /// `masks/<label>/`, remembered while the folder says it did not change (`StampedCache`):
    /// asking which of 10,000 images are done costs one `stat`, not one per image.
    ///
    /// ```swift
    /// let done = project.acceptedImages(label: "head")
    /// let unlabeled = project.imageIDs().filter { !done.contains($0) }
    /// ```
    public func acceptedImages(label: String) -> Set<String> {
        guard Identifier.isValid(label) else { return [] }
        let folder = layout.masks(label: label)
        return StampedCache.shared.value(of: folder, kind: "accepted") { [resolvedFolder] names in
            Set(names.compactMap { name -> String? in
                guard name.hasSuffix(".png") else { return nil }
                let id = String(name.dropLast(4))
                let path = folder + "/" + name
                guard Identifier.isValid(id), FileSystem.exists(path), FileSystem.isInside(path, folder: resolvedFolder)
                else { return nil }
                return id
            })
        }
    }

    /// The accepted mask's PNG, or nil when the image has none for this label.
    public func maskPNG(label: String, image: String) throws -> [UInt8]? {
        try requireLabel(label)
        _ = try imagePath(image)
        let path = maskPath(label: label, image: image)
        guard FileSystem.exists(path) else { return nil }
        return try storage { try FileSystem.read(try inside(path)) }
    }

    public func mask(label: String, image: String) throws -> BinaryMask? {
        guard let png = try maskPNG(label: label, image: image) else { return nil }
        do {
            return try BinaryMask(png: png)
        } catch let error as PNGError {
            throw ProjectStoreError.invalidImage(name: "mask of \(image)", reason: error.description)
        }
    }

    /// The label's context manifest as it is on disk now (empty when nothing was accepted yet).
    public func context(label: String) throws -> ContextManifest {
        try requireLabel(label)
        let path = layout.context(label: label)
        guard FileSystem.exists(path) else { return ContextManifest(label: label) }
        do {
            let manifest = try JSONDecoder().decode(ContextManifest.self, from: Data(try FileSystem.read(try inside(path))))
            guard manifest.schema <= ContextManifest.currentSchema else {
                throw ProjectStoreError.unsupportedSchema(project: id, schema: manifest.schema)
            }
            return manifest
        } catch let error as ProjectStoreError {
            throw error
        } catch {
            throw ProjectStoreError.unreadableManifest(project: id, reason: "context/\(label).json is not valid")
        }
    }

    /// The PNG to store for a mask of `image` under `label` (accepted or proposed), after checking
    /// that the label exists and the mask has the image's size.
    func maskPNG(label: String, image: String, mask: BinaryMask) throws -> [UInt8] {
        try requireLabel(label)
        let header = try imageHeader(image)
        guard mask.width == header.width, mask.height == header.height else {
            throw ProjectStoreError.maskSizeMismatch(
                image: image, expected: "\(header.width) x \(header.height)", actual: "\(mask.width) x \(mask.height)")
        }
        return try mask.pngData()
    }

    /// Saves an accepted mask and makes the image a context entry of `label`. An earlier mask is
    /// kept as `history/<label>/<image>/<version>.png` first, so accepting again loses nothing, and
    /// the new version follows every earlier one (also after the entry was removed).
    ///
    /// Crash safety: the mask is staged as `.pending/<label>/<image>@<version>.png`, then the
    /// manifest is written (the commit), then the staged file is renamed over the mask. A crash
    /// before the commit leaves the old mask and entry; after it, the next open of the project
    /// finishes the rename. Either way the entry's version always matches the mask on disk.
    @discardableResult
    public func accept(
        label: String, image: String, mask: BinaryMask, annotator: String, interactions: Int,
        at date: Date = Date()
    ) throws -> ContextEntry {
        let png = try maskPNG(label: label, image: image, mask: mask)
        return try mutate {
            try acceptLocked(label: label, image: image, png: png, annotator: annotator,
                             interactions: interactions, at: date)
        }
    }

    /// `accept`'s work, for a caller that holds the lock (`mutate`) and has checked `png`. A
    /// proposal of the image is settled by the accept (whichever way it was reviewed): it is
    /// removed after the commit, record first, so a crash leaves at most a PNG without a record,
    /// which counts as no proposal.
    func acceptLocked(
        label: String, image: String, png: [UInt8], annotator: String, interactions: Int, at date: Date
    ) throws -> ContextEntry {
        var manifest = try context(label: label)
        let target = try inside(maskPath(label: label, image: image))
        let previous = manifest.entry(image)
        let kept = try historyVersions(label: label, image: image)
        // Never reuse a version number: history may hold versions of a removed entry.
        var latest = max(previous?.version ?? 0, kept.last ?? 0)
        if FileSystem.exists(target) {
            let current = try storage { try FileSystem.read(target) }
            if let previous {
                try keepInHistory(current, label: label, image: image, version: previous.version)
            } else if let last = kept.last, try historyPNG(label: label, image: image, version: last) == current {
                // The mask of a removed entry, kept in history when it was removed.
            } else {
                // A mask without an entry (copied in by hand): keep it as version 0, or after
                // the versions already kept.
                let slot = kept.isEmpty ? 0 : latest + 1
                try keepInHistory(current, label: label, image: image, version: slot)
                latest = max(latest, slot)
            }
        }
        let version = latest + 1
        let staged = try inside(layout.pending(label: label, image: image, version: version))
        try storage { try FileSystem.writeAtomically(png, to: staged) }
        let entry = ContextEntry(
            id: image, version: version, annotator: String(annotator.prefix(100)),
            acceptedAt: Self.timestamp(date), interactions: max(0, interactions), included: true)
        if let index = manifest.entries.firstIndex(where: { $0.id == image }) {
            manifest.entries[index] = entry
        } else {
            manifest.entries.append(entry)
        }
        manifest.removedEntries.removeAll { $0.id == image }
        try write(json: manifest, to: layout.context(label: label))
        try storage { try FileSystem.moveAtomically(staged, to: target) }
        // Best effort: the accept is committed, and a proposal left behind is listed as reviewed.
        try? removeProposalFiles(label: label, image: image)
        return entry
    }

    /// Includes or excludes a context entry (its mask stays either way). Including an image that
    /// was removed from the context set but still has its accepted mask puts it back, with the
    /// annotator, interactions and version it had (the way back from `removeFromContext`).
    @discardableResult
    public func setIncluded(label: String, image: String, included: Bool) throws -> ContextEntry {
        try requireLabel(label)
        try requireValid(image, kind: "image id")
        return try mutate {
            var manifest = try context(label: label)
            if let index = manifest.entries.firstIndex(where: { $0.id == image }) {
                manifest.entries[index].included = included
                try write(json: manifest, to: layout.context(label: label))
                return manifest.entries[index]
            }
            let target = try inside(maskPath(label: label, image: image))
            guard included, FileSystem.exists(target) else {
                throw ProjectStoreError.notInContext(image: image, label: label)
            }
            let removed = manifest.removedEntries.last { $0.id == image }
            let kept = try historyVersions(label: label, image: image)
            let current = try storage { try FileSystem.read(target) }
            var entry: ContextEntry
            if let removed, try historyPNG(label: label, image: image, version: removed.version) == current {
                entry = removed
            } else {
                // A mask copied in by hand, or changed since it was removed: a version of its own.
                entry = ContextEntry(id: image, version: (kept.last ?? 0) + 1, annotator: removed?.annotator ?? "",
                                     acceptedAt: Self.timestamp(Date()), interactions: removed?.interactions ?? 0,
                                     included: true)
            }
            entry.included = true
            manifest.entries.append(entry)
            manifest.removedEntries.removeAll { $0.id == image }
            try write(json: manifest, to: layout.context(label: label))
            return entry
        }
    }

    /// Removes an image from the context set; its accepted mask stays on disk and in exports, and is
    /// also kept in history under its version, so accepting the image again continues the numbering.
    public func removeFromContext(label: String, image: String) throws {
        try requireLabel(label)
        try requireValid(image, kind: "image id")
        try mutate {
            var manifest = try context(label: label)
            guard let index = manifest.entries.firstIndex(where: { $0.id == image }) else {
                throw ProjectStoreError.notInContext(image: image, label: label)
            }
            let entry = manifest.entries.remove(at: index)
            let target = maskPath(label: label, image: image)
            if FileSystem.exists(target) {
                try keepInHistory(try storage { try FileSystem.read(try inside(target)) },
                                  label: label, image: image, version: entry.version)
            }
            // Kept so that including the image again restores who accepted it and how.
            manifest.removedEntries.removeAll { $0.id == image }
            manifest.removedEntries.append(entry)
            try write(json: manifest, to: layout.context(label: label))
        }
    }

    /// Withdraws an accepted mask: it goes to history under its version, and the image leaves the
    /// context set and counts as not accepted; accepting it again continues the numbering. The
    /// manifest is committed first, so a crash in between leaves an accepted image outside the
    /// context set (which `setIncluded` can put back), never an entry without its mask.
    public func unaccept(label: String, image: String) throws {
        try requireLabel(label)
        try requireValid(image, kind: "image id")
        try mutate {
            var manifest = try context(label: label)
            let target = try inside(maskPath(label: label, image: image))
            guard FileSystem.exists(target) else { throw ProjectStoreError.notAccepted(image: image, label: label) }
            let known = manifest.entry(image) ?? manifest.removedEntries.last { $0.id == image }
            let current = try storage { try FileSystem.read(target) }
            let kept = try historyVersions(label: label, image: image)
            var version = known?.version ?? (kept.isEmpty ? 0 : kept.last! + 1)
            if known == nil, let last = kept.last, try historyPNG(label: label, image: image, version: last) == current {
                version = last // the mask of an entry removed earlier, already kept
            }
            try keepInHistory(current, label: label, image: image, version: version)
            manifest.entries.removeAll { $0.id == image }
            manifest.removedEntries.removeAll { $0.id == image }
            try write(json: manifest, to: layout.context(label: label))
            try storage { try FileSystem.remove(target) }
        }
    }

    /// Versions kept in history for an image, oldest first.
    public func historyVersions(label: String, image: String) throws -> [Int] {
        try requireLabel(label)
        try requireValid(image, kind: "image id")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.history(label: label, image: image))) ?? []
        return names.compactMap { $0.hasSuffix(".png") ? Int($0.dropLast(4)) : nil }.sorted()
    }

    func historyPNG(label: String, image: String, version: Int) throws -> [UInt8]? {
        let path = try inside(layout.history(label: label, image: image, version: version))
        guard FileSystem.exists(path) else { return nil }
        return try storage { try FileSystem.read(path) }
    }

    /// Writes a mask into history unless that version is already kept with the same bytes (a retry
    /// after a crash writes it again).
    func keepInHistory(_ png: [UInt8], label: String, image: String, version: Int) throws {
        guard try historyPNG(label: label, image: image, version: version) != png else { return }
        let path = try inside(layout.history(label: label, image: image, version: version))
        try storage { try FileSystem.writeAtomically(png, to: path) }
    }
}
