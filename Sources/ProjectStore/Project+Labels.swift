import Foundation

// Renaming and deleting a label: every file of the label moves (`ProjectLayout.labelItems`), and
// `project.json` changes, as one change that a crash cannot leave half done.

/// `.label-change.json`: a label rename or delete under way. Written (atomically, under the project
/// lock) before anything moves and removed once `project.json` says the new state; whoever finds it
/// next (any writer, opening the project, `serve` at start) finishes the change, since each of its
/// steps can be done again safely.
///
/// ```json
/// {"label": "nucleus", "operation": "rename", "schema": 1, "to": "nuclei"}
/// {"label": "nucleus", "operation": "delete", "schema": 1, "trash": "trash/labels/nucleus-20261203011500"}
/// ```
struct LabelChange: Codable, Equatable {
    enum Operation: String, Codable { case rename, delete }

    static let currentSchema = 1

    var schema = Self.currentSchema
    var operation: Operation
    var label: String
    /// The new name (rename).
    var to: String?
    /// Where the files go, relative to the project folder (delete).
    var trash: String?

    /// Whether every name in it is one the app itself would have written, so that finishing it can
    /// only move files between the places `ProjectLayout` names.
    var isWellFormed: Bool {
        guard schema <= Self.currentSchema, Identifier.isValid(label) else { return false }
        switch operation {
        case .rename:
            return to.map(Identifier.isValid) == true && to != label && trash == nil
        case .delete:
            guard let trash, to == nil, trash.hasPrefix("trash/labels/") else { return false }
            return Identifier.isValid(String(trash.dropFirst("trash/labels/".count)))
        }
    }
}

extension Project {
    /// Renames a label: its accepted masks, context manifest, history and proposals move to the new
    /// name, which takes the old one's place in the project's label list. Refused when `newName` is
    /// not a valid identifier, is already a label (`duplicateLabel`) or already has files in the
    /// folder (`labelFilesExist`). Under the project lock, after re-reading the project, so two
    /// apps on one shared folder never interleave; crash-safe through `.label-change.json`.
    ///
    /// ```swift
    /// try project.renameLabel("nucleus", to: "nuclei")
    /// try project.labels()   // ["nuclei"]
    /// ```
    public func renameLabel(_ label: String, to newName: String) throws {
        try requireValid(label, kind: "label")
        try requireValid(newName, kind: "label name")
        try mutate {
            let labels = try labels()
            guard labels.contains(label) else { throw ProjectStoreError.unknownLabel(label) }
            guard newName != label else { return }
            guard !labels.contains(newName) else { throw ProjectStoreError.duplicateLabel(newName) }
            for item in layout.labelItems(newName) where FileSystem.hasEntry(item.path) {
                throw ProjectStoreError.labelFilesExist(label: newName, item: relative(item.path))
            }
            try requireMovable(label)
            try apply(LabelChange(operation: .rename, label: label, to: newName))
        }
    }

    /// Takes a label out of the project. Nothing is destroyed: its accepted masks, context
    /// manifest, history and proposals move to `trash/labels/<label>-<time>/` (`masks/`,
    /// `context.json`, `history/`, `proposals/`), from where they can be moved back by hand
    /// (with the label added to `project.json` again). Returns that folder, relative to the project.
    ///
    /// ```swift
    /// try project.deleteLabel("membrane")   // "trash/labels/membrane-20261203011500"
    /// ```
    @discardableResult
    public func deleteLabel(_ label: String, at date: Date = Date()) throws -> String {
        try requireValid(label, kind: "label")
        return try mutate {
            guard try labels().contains(label) else { throw ProjectStoreError.unknownLabel(label) }
            try requireMovable(label)
            let stamp = Self.timestamp(date).filter(\.isNumber)
            var trash = ProjectLayout.trashedLabel(label, stamp: stamp)
            var suffix = 2
            while FileSystem.hasEntry(folder + "/" + trash) {
                trash = ProjectLayout.trashedLabel(label, stamp: "\(stamp)-\(suffix)")
                suffix += 1
            }
            try apply(LabelChange(operation: .delete, label: label, trash: trash))
            return trash
        }
    }

    /// Finishes a label rename or delete that a crash interrupted (the project lock must be held);
    /// true when there was one. A journal the app would not have written is left alone and
    /// reported, so nothing moves on the strength of a hand-edited file.
    @discardableResult
    func settleLabelChange() throws -> Bool {
        guard FileSystem.hasEntry(layout.labelChange) else { return false }
        let bytes = try storage { try FileSystem.read(try inside(layout.labelChange)) }
        guard let change = try? JSONDecoder().decode(LabelChange.self, from: Data(bytes)), change.isWellFormed else {
            throw ProjectStoreError.unreadableManifest(
                project: id, reason: ".label-change.json is not valid; remove it once the labels' folders are as wanted")
        }
        try finish(change)
        return true
    }

    /// Refuses, before anything is recorded, a label whose files include a link leading outside
    /// the project (`linkLeavesFolder`), so a change is never left half done on that account.
    private func requireMovable(_ label: String) throws {
        for item in layout.labelItems(label) where FileSystem.hasEntry(item.path) { _ = try inside(item.path) }
    }

    /// Records the change, then makes it.
    private func apply(_ change: LabelChange) throws {
        try write(json: change, to: layout.labelChange)
        try finish(change)
    }

    /// Moves the label's files, then commits `project.json`, then removes the journal. Every step
    /// is skipped when already done, so running it again after a crash at any point ends in the
    /// same state as an uninterrupted run.
    private func finish(_ change: LabelChange) throws {
        let items = layout.labelItems(change.label)
        let destinations = change.operation == .rename
            ? layout.labelItems(change.to ?? change.label).map(\.path)
            : items.map { folder + "/" + (change.trash ?? "") + "/" + $0.trashName }
        for (item, destination) in zip(items, destinations) where FileSystem.hasEntry(item.path) {
            guard !FileSystem.hasEntry(destination) else {
                throw ProjectStoreError.labelFilesExist(label: change.to ?? change.label, item: relative(destination))
            }
            _ = try inside(item.path)
            try storage { try FileSystem.moveAtomically(item.path, to: try inside(destination)) }
        }
        if change.operation == .rename, let newName = change.to {
            // The manifest names its label; a renamed one says its new name.
            let path = layout.context(label: newName)
            if FileSystem.hasEntry(path), var context = try? JSONDecoder().decode(ContextManifest.self, from: Data(
                try storage { try FileSystem.read(try inside(path)) })), context.label != newName {
                context.label = newName
                try write(json: context, to: path)
            }
        }
        var manifest = try manifest()
        let before = manifest.labels
        if let index = manifest.labels.firstIndex(of: change.label) {
            if change.operation == .rename, let newName = change.to, !manifest.labels.contains(newName) {
                manifest.labels[index] = newName
            } else {
                manifest.labels.remove(at: index)
            }
        }
        if manifest.labels != before { try write(json: manifest, to: layout.manifest) }
        try storage { try FileSystem.remove(layout.labelChange) }
    }

    /// `path` relative to the project folder, for messages.
    private func relative(_ path: String) -> String {
        path.hasPrefix(folder + "/") ? String(path.dropFirst(folder.count + 1)) : path
    }
}
