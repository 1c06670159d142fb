import Foundation

// Volumes: slices imported as images plus a sidecar `volumes/<id>.json`.

extension Project {
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
            while FileSystem.exists(layout.volume(id)) {
                id = "\(base.prefix(120))-\(suffix)"
                suffix += 1
            }
            sidecar.id = id
            try storage { try FileSystem.makeFolder(layout.volumes) }
            try write(json: sidecar, to: layout.volume(id))
            return sidecar
        }
    }

    /// Volume ids (sidecar names without `.json`), sorted. The listing is remembered while
    /// `volumes/` says it did not change (`StampedCache`; a sidecar is written by a rename).
    public func volumeIDs() -> [String] {
        StampedCache.shared.value(of: layout.volumes, kind: "volume-ids") { names in
            names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.filter(Identifier.isValid).sorted()
        }
    }

    /// The sidecar of volume `id`. The decoded sidecar is remembered while its file's stamp stays
    /// the same (`StampedCache`), so a prediction on a slice under a label window (which looks
    /// its volume up in `volumeIndex()`) costs a few system calls per volume, not a read and
    /// decode of every sidecar; a hand edit in place changes the file's stamp and shows at the
    /// next read.
    public func volume(_ id: String) throws -> VolumeSidecar {
        try requireValid(id, kind: "volume id")
        let path = try inside(layout.volume(id))
        guard FileSystem.exists(path) else { throw ProjectStoreError.unknownVolume(id) }
        return try StampedCache.shared.value(ofFile: path, kind: "volume-sidecar") { path in
            let bytes = try storage { try FileSystem.read(path) }
            do {
                return try JSONDecoder().decode(VolumeSidecar.self, from: Data(bytes))
            } catch {
                throw ProjectStoreError.unreadableManifest(project: self.id, reason: "volumes/\(id).json: \(error)")
            }
        }
    }

    /// Writes `files` into a fresh folder under the project's `.scratch/`, runs `body` with their
    /// paths (in order) and the folder (for files `body` writes, e.g. an export), and removes the
    /// folder however `body` ends: an uploaded volume is read from there by the same import as
    /// the command line's. Names are reduced to an id-safe last component, so no upload can name
    /// a path elsewhere.
    ///
    /// ```swift
    /// let sidecar = try project.withScratchFiles([("ct.nii.gz", body)]) { paths, _ in
    ///     try VolumeImport.importNIfTI(paths[0], into: project)
    /// }
    /// ```
    public func withScratchFiles<T>(_ files: [(name: String, bytes: [UInt8])], body: ([String], String) throws -> T) throws -> T {
        let folder = try inside(layout.scratch + "/" + UUID().uuidString)
        try storage { try FileSystem.makeFolder(folder) }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var paths: [String] = []
        for (number, file) in files.enumerated() {
            let last = (file.name as NSString).lastPathComponent
            let lower = last.lowercased()
            let suffix = [".nii.gz", ".nii", ".dcm"].first { lower.hasSuffix($0) } ?? ""
            let stem = Identifier.sanitize(String(last.dropLast(suffix.count)), droppingExtension: false) ?? "file"
            // The first keeps its name: an imported volume is named after its file.
            let path = try inside(folder + "/" + (number == 0 ? "" : "\(number)-") + stem.prefix(100) + suffix)
            try storage { try FileSystem.writeAtomically(file.bytes, to: path) }
            paths.append(path)
        }
        return try body(paths, folder)
    }
}
