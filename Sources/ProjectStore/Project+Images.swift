import Foundation
import PNGCodec

// Images: listing, reading, importing and deleting `images/<id>.png`.

extension Project {
    /// Image ids (file names without `.png`), sorted. Files with other names (`.DS_Store`,
    /// `Thumbs.db`, notes) and folders, even ones named `*.png`, are ignored. The listing is
    /// remembered while `images/` says it did not change (`StampedCache`), so asking again in a
    /// project of 10,000 images costs one `stat`.
    public func imageIDs() -> [String] {
        imageListing().ids
    }

    /// The image ids, sorted and as a set, remembered while `images/` keeps its stamp
    /// (`StampedCache`): a request asking "is this an image?" 9,000 times builds no set of its own.
    ///
    /// ```swift
    /// let listing = project.imageListing()
    /// let accepted = project.acceptedImages(label: "head").count { listing.set.contains($0) }
    /// ```
    public func imageListing() -> ImageListing {
        let images = layout.images
        guard FileSystem.isInside(images, folder: resolvedFolder) else { return ImageListing(ids: []) }
        return StampedCache.shared.value(of: images, kind: "image-ids") { [resolvedFolder] names in
            ImageListing(ids: Self.imageIDs(in: images, names: names, resolvedFolder: resolvedFolder))
        }
    }

    private static func imageIDs(in images: String, names: [String], resolvedFolder: String) -> [String] {
        names.compactMap { name -> String? in
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
        let path = layout.image(image)
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
        try header(path: try imagePath(image), image: image)
    }

    /// Every image's PNG header in id order, and apart the ids of files that are not usable PNGs
    /// (dropped in by hand or by another tool), so that one bad file does not hide the others.
    /// Headers are remembered per file while its stamp stays the same: listing a project of
    /// 10,000 images again costs a `stat` per image, not a read.
    ///
    /// `ids` (listed ids, in the order given) limits it to those images: a page of a project's
    /// images costs a `stat` per image shown.
    ///
    /// ```swift
    /// let (images, unreadable) = try project.imageHeaders()
    /// images.first?.header.width   // 512
    /// ```
    public func imageHeaders(of ids: [String]? = nil) throws -> (images: [(id: String, header: PNGHeader)], unreadable: [String]) {
        var images: [(id: String, header: PNGHeader)] = []
        var unreadable: [String] = []
        let listing = imageListing()
        for id in ids ?? listing.ids where ids == nil || listing.set.contains(id) {
            // Listed ids were checked to stay inside (`imageIDs`), so no link is resolved again here.
            let path = layout.image(id)
            do {
                let header = try StampedCache.shared.value(ofFile: path, kind: "png-header") { path in
                    try self.header(path: path, image: id)
                }
                images.append((id, header))
            } catch ProjectStoreError.invalidImage {
                unreadable.append(id)
            } catch ProjectStoreError.storage where !FileSystem.exists(path) {
                continue  // deleted since it was listed
            }
        }
        return (images, unreadable)
    }

    private func header(path: String, image: String) throws -> PNGHeader {
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
            while FileSystem.exists(layout.image(id)) {
                id = "\(base.prefix(120))-\(suffix)"
                suffix += 1
            }
            let target = try inside(layout.image(id))
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
            let trash = try inside(layout.trashedImage(image))
            if FileSystem.exists(trash) {
                // An earlier image of the same id is already there: keep both.
                let stamp = Self.timestamp(Date()).filter { $0.isNumber }
                try storage { try FileSystem.moveAtomically(path, to: try inside(layout.trashedImage(image, stamp: stamp))) }
            } else {
                try storage { try FileSystem.moveAtomically(path, to: trash) }
            }
        }
    }
}

/// `Project.imageListing`: the image ids, sorted, and the same as a set.
public struct ImageListing: Sendable {
    public let ids: [String]
    public let set: Set<String>

    init(ids: [String]) {
        self.ids = ids
        set = Set(ids)
    }
}
