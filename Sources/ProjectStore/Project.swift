import Foundation
import PNGCodec
import ZIP

/// One project folder:
///
/// ```
/// project.json                   name, labels, schema
/// images/<id>.png                the images as imported
/// masks/<label>/<id>.png         accepted masks, 0/255, image size
/// context/<label>.json           the label's ordered context manifest
/// history/<label>/<id>/<v>.png   every earlier version of a mask
/// .multiverseg.lock              advisory lock serialising writers (also across processes)
/// ```
///
/// Nothing is cached between calls: every read goes to disk, so changes written by a collaborator's
/// app on a shared folder show up at once. Writes take the project lock and are atomic.
///
/// ```swift
/// let project = try library.project("fetal-head-demo")
/// try project.accept(label: "head", image: "000_HC", mask: mask, annotator: "ana", interactions: 3)
/// ```
public final class Project: Sendable {
    public let id: String
    public let folder: String

    init(id: String, folder: String) throws {
        self.id = id
        self.folder = folder
        _ = try manifest()
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

    // MARK: Images

    /// Image ids (file names without `.png`), sorted. Files with other names (`.DS_Store`,
    /// `Thumbs.db`, notes) and folders, even ones named `*.png`, are ignored.
    public func imageIDs() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/images")) ?? []
        return names.compactMap { name -> String? in
            guard name.hasSuffix(".png") else { return nil }
            let id = String(name.dropLast(4))
            guard Identifier.isValid(id) else { return nil }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder + "/images/" + name, isDirectory: &isDirectory),
                  !isDirectory.boolValue
            else { return nil }
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
        return path
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
    /// The bytes are checked to decode within `limits` and stored unchanged.
    @discardableResult
    public func importImage(name: String, png: [UInt8], limits: PNGLimits = .default) throws -> String {
        guard let base = Identifier.sanitize(name) else {
            throw ProjectStoreError.invalidIdentifier(kind: "image name", value: name)
        }
        do {
            _ = try PNGImage(decoding: png, limits: limits)
        } catch let error as PNGError {
            throw ProjectStoreError.invalidImage(name: name, reason: error.description)
        }
        return try withLock {
            var id = base
            var suffix = 2
            while FileSystem.exists(folder + "/images/\(id).png") {
                id = "\(base.prefix(120))-\(suffix)"
                suffix += 1
            }
            try storage { try FileSystem.writeAtomically(png, to: folder + "/images/\(id).png") }
            return id
        }
    }

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
        return try storage { try FileSystem.read(path) }
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
            let manifest = try JSONDecoder().decode(ContextManifest.self, from: Data(try FileSystem.read(path)))
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
    /// kept as `history/<label>/<image>/<version>.png` first, so accepting again loses nothing.
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
        return try withLock {
            var manifest = try context(label: label)
            let target = maskPath(label: label, image: image)
            let previous = manifest.entry(image)
            var version = 1
            if let previous {
                version = previous.version + 1
                if FileSystem.exists(target) {
                    try storage {
                        try FileSystem.copy(target, to: folder + "/history/\(label)/\(image)/\(previous.version).png")
                    }
                }
            } else if FileSystem.exists(target) {
                // A mask without an entry (copied in by hand): keep it as version 0.
                try storage { try FileSystem.copy(target, to: folder + "/history/\(label)/\(image)/0.png") }
            }
            try storage { try FileSystem.writeAtomically(png, to: target) }
            let entry = ContextEntry(
                id: image, version: version, annotator: String(annotator.prefix(100)),
                acceptedAt: Self.timestamp(date), interactions: max(0, interactions), included: true)
            if let index = manifest.entries.firstIndex(where: { $0.id == image }) {
                manifest.entries[index] = entry
            } else {
                manifest.entries.append(entry)
            }
            try write(json: manifest, to: folder + "/context/\(label).json")
            return entry
        }
    }

    /// Includes or excludes a context entry (its mask stays either way).
    @discardableResult
    public func setIncluded(label: String, image: String, included: Bool) throws -> ContextEntry {
        try updateContext(label: label, image: image) { entries, index in
            entries[index].included = included
            return entries[index]
        }
    }

    /// Removes an image from the context set; its accepted mask stays on disk and in exports.
    public func removeFromContext(label: String, image: String) throws {
        _ = try updateContext(label: label, image: image) { entries, index in
            entries.remove(at: index)
        }
    }

    /// Versions kept in history for an image, oldest first.
    public func historyVersions(label: String, image: String) throws -> [Int] {
        try requireLabel(label)
        try requireValid(image, kind: "image id")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/history/\(label)/\(image)")) ?? []
        return names.compactMap { $0.hasSuffix(".png") ? Int($0.dropLast(4)) : nil }.sorted()
    }

    // MARK: Export

    /// The accepted masks of a label, as (image id, PNG bytes), in image order.
    public func acceptedMasks(label: String) throws -> [(image: String, png: [UInt8])] {
        try requireLabel(label)
        return try imageIDs().compactMap { image in
            let path = maskPath(label: label, image: image)
            guard FileSystem.exists(path) else { return nil }
            return (image, try storage { try FileSystem.read(path) })
        }
    }

    /// Writes `<image>.png` (0/255, original size) for every accepted mask into `destination`.
    @discardableResult
    public func exportMasks(label: String, to destination: String) throws -> Int {
        let masks = try acceptedMasks(label: label)
        for (image, png) in masks {
            try storage { try FileSystem.writeAtomically(png, to: destination + "/\(image).png") }
        }
        return masks.count
    }

    /// The accepted masks of a label as a ZIP archive of `<image>.png` files.
    public func exportZip(label: String) throws -> [UInt8] {
        var zip = ZipWriter()
        for (image, png) in try acceptedMasks(label: label) { try zip.add(name: "\(image).png", bytes: png) }
        return zip.finish()
    }

    // MARK: Helpers

    private func updateContext<T>(
        label: String, image: String, _ change: (inout [ContextEntry], Int) throws -> T
    ) throws -> T {
        try requireLabel(label)
        try requireValid(image, kind: "image id")
        return try withLock {
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

    private func write<T: Encodable>(json value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        try storage { try FileSystem.writeAtomically([UInt8](data) + [10], to: path) }
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
