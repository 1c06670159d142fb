import Foundation
import Imaging
import PNGCodec
import ZIP

/// One project folder:
///
/// ```
/// project.json                   name, labels, schema
/// images/<id>.png                the images as imported
/// volumes/<id>.json              a volume's sidecar: its slices' images, geometry, intensity mapping
/// masks/<label>/<id>.png         accepted masks, 0/255, image size
/// context/<label>.json           the label's ordered context manifest
/// history/<label>/<id>/<v>.png   every earlier version of a mask (and a removed entry's)
/// .pending/<label>/<id>@<v>.png  a mask being accepted, until its manifest entry is committed
/// .multiverseg.lock              advisory lock serialising writers (also across processes)
/// ```
///
/// Symbolic links are followed only while they stay inside the project folder: a link in `images/`,
/// `masks/` or `context/` that leads elsewhere is refused (`linkLeavesFolder`), so no id, label or
/// planted link can make the app read or write outside the folder.
///
/// Nothing is cached between calls: every read goes to disk, so changes written by a collaborator's
/// app on a shared folder show up at once. Writes take the project lock and are atomic; an accept,
/// which changes two files, is made crash-safe by staging the mask in `.pending/` and committing it
/// with the manifest (see `accept`).
///
/// ```swift
/// let project = try library.project("fetal-head-demo")
/// try project.accept(label: "head", image: "000_HC", mask: mask, annotator: "ana", interactions: 3)
/// ```
public final class Project: Sendable {
    public let id: String
    public let folder: String
    /// `folder` with its links resolved: the boundary every file access is checked against.
    let resolvedFolder: String

    init(id: String, folder: String, settlingPending: Bool = true) throws {
        self.id = id
        self.folder = folder
        self.resolvedFolder = FileSystem.resolved(folder) ?? folder
        _ = try manifest()
        // An accept cut short by a crash leaves a staged mask; settle it before anyone reads, so a
        // committed entry never shows its old mask. Best effort: a read-only folder still opens.
        if settlingPending, Self.hasEntries(folder + "/.pending") { try? withLock { _ = try recoverPending() } }
    }

    // MARK: Manifest and labels

    public func manifest() throws -> ProjectManifest {
        try ProjectLibrary.readManifest(folder: folder, id: id)
    }

    public func labels() throws -> [String] { try manifest().labels }

    /// Adds a label (a new segmentation task with its own, empty context set).
    public func addLabel(_ label: String) throws {
        try requireValid(label, kind: "label")
        try withLock {
            var manifest = try manifest()
            guard !manifest.labels.contains(label) else { throw ProjectStoreError.duplicateLabel(label) }
            manifest.labels.append(label)
            try write(json: manifest, to: folder + "/project.json")
        }
    }

    /// Renames the project. Only its display name changes: the id (its folder's name) stays, so
    /// open pages, links and collaborators' apps keep working.
    public func rename(to name: String) throws {
        let title = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty, title.count <= 200 else {
            throw ProjectStoreError.invalidIdentifier(kind: "project name", value: name)
        }
        try withLock {
            var manifest = try manifest()
            manifest.name = title
            try write(json: manifest, to: folder + "/project.json")
        }
    }

    // MARK: Images

    /// Image ids (file names without `.png`), sorted. Files with other names (`.DS_Store`,
    /// `Thumbs.db`, notes) and folders, even ones named `*.png`, are ignored.
    public func imageIDs() -> [String] {
        let images = folder + "/images"
        guard FileSystem.isInside(images, folder: resolvedFolder) else { return [] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: images)) ?? []
        return names.compactMap { name -> String? in
            guard name.hasSuffix(".png") else { return nil }
            let id = String(name.dropLast(4))
            guard Identifier.isValid(id) else { return nil }
            let path = images + "/" + name
            var status = stat()
            guard lstat(path, &status) == 0 else { return nil }
            if status.st_mode & S_IFMT == S_IFLNK {
                // Only links need resolving: a plain file in an inside folder is inside.
                guard FileSystem.isInside(path, folder: resolvedFolder), stat(path, &status) == 0 else { return nil }
            }
            // Folders, even ones named `*.png` (left by a copy tool), are not images.
            guard status.st_mode & S_IFMT != S_IFDIR else { return nil }
            return id
        }.sorted()
    }

    public func imagePath(_ image: String) throws -> String {
        try requireValid(image, kind: "image id")
        let path = folder + "/images/\(image).png"
        // A folder named like an image (left by a copy tool) is not one.
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw ProjectStoreError.unknownImage(image)
        }
        return try inside(path)
    }

    public func imagePNG(_ image: String) throws -> [UInt8] {
        try storage { try FileSystem.read(try imagePath(image)) }
    }

    /// The image's PNG header (size, layout), read from the start of the file only: the chunks
    /// before the pixel data are small, so listing a project of large scans stays fast.
    public func imageHeader(_ image: String) throws -> PNGHeader {
        let path = try imagePath(image)
        var prefix = 8 << 10
        while true {
            let (bytes, complete) = try storage { try FileSystem.readPrefix(path, count: prefix) }
            do {
                return try PNGImage.header(of: bytes)
            } catch PNGError.truncated where !complete {
                // Large metadata chunks (an ICC profile, text) before the pixels: read further.
                prefix *= 4
            } catch let error as PNGError {
                throw ProjectStoreError.invalidImage(name: image, reason: error.description)
            }
        }
    }

    public func loadImage(_ image: String, limits: PNGLimits = .default) throws -> PNGImage {
        do {
            return try PNGImage(decoding: try imagePNG(image), limits: limits)
        } catch let error as PNGError {
            throw ProjectStoreError.invalidImage(name: image, reason: error.description)
        }
    }

    /// Adds a PNG under an id derived from `name` (made unique with `-2`, `-3`, … when taken).
    /// The bytes are checked to decode within `limits` and stored unchanged. With
    /// `refusingDuplicates`, a file whose bytes equal an image already in the project is refused
    /// with `duplicateImage` (a file uploaded twice), so the project never holds it twice.
    @discardableResult
    public func importImage(name: String, png: [UInt8], limits: PNGLimits = .default,
                            refusingDuplicates: Bool = false) throws -> String {
        guard let base = Identifier.sanitize(name) else {
            throw ProjectStoreError.invalidIdentifier(kind: "image name", value: name)
        }
        do {
            _ = try PNGImage(decoding: png, limits: limits)
        } catch let error as PNGError {
            throw ProjectStoreError.invalidImage(name: name, reason: error.description)
        }
        return try withLock {
            if refusingDuplicates, let existing = try imageIdentical(to: png) {
                throw ProjectStoreError.duplicateImage(name: name, existing: existing)
            }
            var id = base
            var suffix = 2
            while FileSystem.exists(folder + "/images/\(id).png") {
                id = "\(base.prefix(120))-\(suffix)"
                suffix += 1
            }
            let target = try inside(folder + "/images/\(id).png")
            try storage { try FileSystem.writeAtomically(png, to: target) }
            return id
        }
    }

    /// The id of an image whose file holds exactly `png`, or nil. Only files of the same size are
    /// read, so a large project costs one `stat` per image.
    public func imageIdentical(to png: [UInt8]) throws -> String? {
        for id in imageIDs() {
            let path = try imagePath(id)
            guard let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int,
                  size == png.count else { continue }
            if try storage({ try FileSystem.read(path) }) == png { return id }
        }
        return nil
    }

    /// Takes an image out of the project: each label's accepted mask goes to history (as
    /// `unaccept` does) and the image file to `trash/images/`, from where it can be moved back by
    /// hand; nothing is deleted outright.
    public func deleteImage(_ image: String) throws {
        let path = try imagePath(image)
        for label in try labels() where FileSystem.exists(maskPath(label: label, image: image)) {
            try unaccept(label: label, image: image)
        }
        try withLock {
            let trash = try inside(folder + "/trash/images/\(image).png")
            if FileSystem.exists(trash) {
                // An earlier image of the same id is already there: keep both.
                let stamp = Self.timestamp(Date()).filter { $0.isNumber }
                try storage { try FileSystem.moveAtomically(path, to: try inside(folder + "/trash/images/\(image)-\(stamp).png")) }
            } else {
                try storage { try FileSystem.moveAtomically(path, to: trash) }
            }
        }
    }

    // MARK: Volumes

    /// Adds a volume's slices as images (each through `importImage`, so ids are unique and the
    /// PNGs checked) and then its sidecar `volumes/<id>.json`, atomically. `slices[i]` becomes the
    /// image for `sidecar.slices[i].index`; the sidecar's `id` and image ids are filled in here.
    /// The sidecar is written last, so a crash part-way leaves plain images and no volume that
    /// names missing ones.
    ///
    /// ```swift
    /// let sidecar = try project.importVolume(name: "ct.nii.gz", slices: pngs, sidecar: draft)
    /// ```
    @discardableResult
    public func importVolume(name: String, slices: [(name: String, png: [UInt8])], sidecar draft: VolumeSidecar) throws -> VolumeSidecar {
        guard slices.count == draft.slices.count else {
            throw ProjectStoreError.invalidImage(name: name, reason: "\(slices.count) slice images for \(draft.slices.count) slice entries")
        }
        guard let base = VolumeSidecar.baseName(of: name) else {
            throw ProjectStoreError.invalidIdentifier(kind: "volume name", value: name)
        }
        var sidecar = draft
        for (position, slice) in slices.enumerated() {
            sidecar.slices[position].image = try importImage(name: slice.name, png: slice.png)
        }
        return try withLock {
            var id = base
            var suffix = 2
            while FileSystem.exists(volumePath(id)) {
                id = "\(base.prefix(120))-\(suffix)"
                suffix += 1
            }
            sidecar.id = id
            try storage { try FileSystem.makeFolder(folder + "/volumes") }
            try write(json: sidecar, to: volumePath(id))
            return sidecar
        }
    }

    /// Volume ids (sidecar names without `.json`), sorted.
    public func volumeIDs() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/volumes")) ?? []
        return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.filter(Identifier.isValid).sorted()
    }

    /// The sidecar of volume `id`.
    public func volume(_ id: String) throws -> VolumeSidecar {
        try requireValid(id, kind: "volume id")
        let path = try inside(volumePath(id))
        guard FileSystem.exists(path) else { throw ProjectStoreError.unknownVolume(id) }
        let bytes = try storage { try FileSystem.read(path) }
        do {
            return try JSONDecoder().decode(VolumeSidecar.self, from: Data(bytes))
        } catch {
            throw ProjectStoreError.unreadableManifest(project: self.id, reason: "volumes/\(id).json: \(error)")
        }
    }

    private func volumePath(_ id: String) -> String { folder + "/volumes/\(id).json" }

    // MARK: Masks and the context set

    public func maskPath(label: String, image: String) -> String {
        folder + "/masks/\(label)/\(image).png"
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
        let path = folder + "/context/\(label).json"
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
        try requireLabel(label)
        let header = try imageHeader(image)
        guard mask.width == header.width, mask.height == header.height else {
            throw ProjectStoreError.maskSizeMismatch(
                image: image, expected: "\(header.width) x \(header.height)", actual: "\(mask.width) x \(mask.height)")
        }
        let png = try mask.pngData()
        return try mutate {
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
            let staged = try inside(pendingPath(label: label, image: image, version: version))
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
            try write(json: manifest, to: folder + "/context/\(label).json")
            try storage { try FileSystem.moveAtomically(staged, to: target) }
            return entry
        }
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
                try write(json: manifest, to: folder + "/context/\(label).json")
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
            try write(json: manifest, to: folder + "/context/\(label).json")
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
            try write(json: manifest, to: folder + "/context/\(label).json")
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
            try write(json: manifest, to: folder + "/context/\(label).json")
            try storage { try FileSystem.remove(target) }
        }
    }

    /// Versions kept in history for an image, oldest first.
    public func historyVersions(label: String, image: String) throws -> [Int] {
        try requireLabel(label)
        try requireValid(image, kind: "image id")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/history/\(label)/\(image)")) ?? []
        return names.compactMap { $0.hasSuffix(".png") ? Int($0.dropLast(4)) : nil }.sorted()
    }

    // MARK: Recovery

    /// What `recover()` found and settled.
    public struct Recovery: Sendable, Equatable {
        /// Accepts committed before a crash whose mask was then moved into place.
        public var rolledForward = 0
        /// Staged masks of accepts that never committed, removed.
        public var discarded = 0
        /// Temporary files of interrupted writes, removed.
        public var temporaryFilesRemoved = 0

        public init(rolledForward: Int = 0, discarded: Int = 0, temporaryFilesRemoved: Int = 0) {
            self.rolledForward = rolledForward
            self.discarded = discarded
            self.temporaryFilesRemoved = temporaryFilesRemoved
        }

        public var isEmpty: Bool { rolledForward == 0 && discarded == 0 && temporaryFilesRemoved == 0 }
    }

    /// Settles what a crashed or killed process left behind: finishes or discards interrupted
    /// accepts and removes the temporary files of interrupted writes. Run at start-up; safe while
    /// collaborators' apps use the folder: every write into a project folder holds the project
    /// lock, which this takes too, so a temporary file found here belongs to a writer that died.
    ///
    /// ```swift
    /// let report = try library.project("cells").recover()
    /// if !report.isEmpty { print(report) }
    /// ```
    @discardableResult
    public func recover() throws -> Recovery {
        // Look first without the lock, so that opening a clean (or read-only) folder writes nothing.
        guard Self.hasEntries(folder + "/.pending") || !temporaryFiles().isEmpty else { return Recovery() }
        return try withLock {
            let pending = try recoverPending()
            var report = Recovery(rolledForward: pending.rolledForward, discarded: pending.discarded)
            for relative in temporaryFiles() where unlink(folder + "/" + relative) == 0 {
                report.temporaryFilesRemoved += 1
            }
            return report
        }
    }

    /// Temporary files of atomic writes anywhere in the project folder, relative to it.
    private func temporaryFiles() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            if FileSystem.isTemporary((relative as NSString).lastPathComponent) { found.append(relative) }
        }
        return found
    }

    // MARK: Export

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

    // MARK: Helpers

    private func updateContext<T>(
        label: String, image: String, _ change: (inout [ContextEntry], Int) throws -> T
    ) throws -> T {
        try requireLabel(label)
        try requireValid(image, kind: "image id")
        return try mutate {
            var manifest = try context(label: label)
            guard let index = manifest.entries.firstIndex(where: { $0.id == image }) else {
                throw ProjectStoreError.notInContext(image: image, label: label)
            }
            let result = try change(&manifest.entries, index)
            try write(json: manifest, to: folder + "/context/\(label).json")
            return result
        }
    }

    private func requireValid(_ value: String, kind: String) throws {
        guard Identifier.isValid(value) else { throw ProjectStoreError.invalidIdentifier(kind: kind, value: value) }
    }

    private func requireLabel(_ label: String) throws {
        try requireValid(label, kind: "label")
        guard try labels().contains(label) else { throw ProjectStoreError.unknownLabel(label) }
    }

    private func withLock<T>(_ body: () throws -> T) throws -> T {
        let lock = try storage { try FileLock(path: folder + "/.multiverseg.lock") }
        defer { lock.unlock() }
        return try body()
    }

    /// Runs a change of the context under the project lock, after settling any accept that a crash
    /// interrupted (so a change never builds on a half-finished one).
    private func mutate<T>(_ body: () throws -> T) throws -> T {
        try withLock {
            _ = try recoverPending()
            return try body()
        }
    }

    private func pendingPath(label: String, image: String, version: Int) -> String {
        folder + "/.pending/\(label)/\(image)@\(version).png"
    }

    private func historyPNG(label: String, image: String, version: Int) throws -> [UInt8]? {
        let path = try inside(folder + "/history/\(label)/\(image)/\(version).png")
        guard FileSystem.exists(path) else { return nil }
        return try storage { try FileSystem.read(path) }
    }

    /// Writes a mask into history unless that version is already kept with the same bytes (a retry
    /// after a crash writes it again).
    private func keepInHistory(_ png: [UInt8], label: String, image: String, version: Int) throws {
        guard try historyPNG(label: label, image: image, version: version) != png else { return }
        let path = try inside(folder + "/history/\(label)/\(image)/\(version).png")
        try storage { try FileSystem.writeAtomically(png, to: path) }
    }

    /// Settles staged masks (the project lock must be held): a staged version whose manifest entry
    /// was committed is moved into place; any other is discarded, the accept never happened.
    private func recoverPending() throws -> (rolledForward: Int, discarded: Int) {
        let root = folder + "/.pending"
        guard Self.hasEntries(root) else { return (0, 0) }
        var forward = 0
        var discarded = 0
        for label in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            let labelFolder = root + "/" + label
            let names = (try? FileManager.default.contentsOfDirectory(atPath: labelFolder)) ?? []
            let known = Identifier.isValid(label) && (try? labels().contains(label)) == true
            let manifest = known ? try? context(label: label) : nil
            // An unreadable manifest cannot say whether the accept committed: keep its staged masks
            // until the file is fixed, and let the other labels go on.
            if known && manifest == nil { continue }
            for name in names {
                let path = labelFolder + "/" + name
                let parts = name.hasSuffix(".png") ? name.dropLast(4).split(separator: "@") : []
                if let manifest, parts.count == 2, Identifier.isValid(String(parts[0])),
                   let version = Int(parts[1]), manifest.entry(String(parts[0]))?.version == version {
                    try storage { try FileSystem.moveAtomically(path, to: maskPath(label: label, image: String(parts[0]))) }
                    forward += 1
                } else {
                    unlink(path)
                    discarded += 1
                }
            }
            rmdir(labelFolder)
        }
        rmdir(root)
        return (forward, discarded)
    }

    static func hasEntries(_ folder: String) -> Bool {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return false }
        return !names.isEmpty
    }

    private func write<T: Encodable>(json value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        let target = try inside(path)
        try storage { try FileSystem.writeAtomically([UInt8](data) + [10], to: target) }
    }

    /// Returns `path` when it stays inside the project folder after following links; throws
    /// `linkLeavesFolder` naming it relative to the library (never the absolute path) otherwise.
    private func inside(_ path: String) throws -> String {
        guard FileSystem.isInside(path, folder: resolvedFolder) else {
            throw ProjectStoreError.linkLeavesFolder(id + path.dropFirst(folder.count))
        }
        return path
    }

    /// Maps file-system failures to a store error whose message has no absolute path.
    private func storage<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FileSystemError {
            throw ProjectStoreError.storage(error.publicMessage)
        }
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
