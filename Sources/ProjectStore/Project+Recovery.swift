import Foundation

// Settling what a crashed or killed writer left behind.

extension Project {
    /// What `recover()` found and settled.
    public struct Recovery: Sendable, Equatable {
        /// Accepts committed before a crash whose mask was then moved into place.
        public var rolledForward = 0
        /// Staged masks of accepts that never committed, removed.
        public var discarded = 0
        /// Temporary files of interrupted writes, removed.
        public var temporaryFilesRemoved = 0
        /// A label rename or delete cut short, finished (`.label-change.json`).
        public var labelChangesFinished = 0

        public init(rolledForward: Int = 0, discarded: Int = 0, temporaryFilesRemoved: Int = 0) {
            self.rolledForward = rolledForward
            self.discarded = discarded
            self.temporaryFilesRemoved = temporaryFilesRemoved
        }

        public var isEmpty: Bool {
            rolledForward == 0 && discarded == 0 && temporaryFilesRemoved == 0 && labelChangesFinished == 0
        }
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
        guard Self.hasEntries(layout.pending) || FileSystem.hasEntry(layout.labelChange) || !temporaryFiles().isEmpty else {
            return Recovery()
        }
        return try withLock {
            let labelChange = try settleLabelChange()
            let pending = try recoverPending()
            var report = Recovery(rolledForward: pending.rolledForward, discarded: pending.discarded)
            report.labelChangesFinished = labelChange ? 1 : 0
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

    /// Settles staged masks, after finishing a label rename or delete (the project lock must be held): a staged version whose manifest entry
    /// was committed is moved into place; any other is discarded, the accept never happened.
    func recoverPending() throws -> (rolledForward: Int, discarded: Int) {
        // A label renamed midway has its staged masks under the new name but not yet in the list.
        try settleLabelChange()
        guard Self.hasEntries(layout.pending) else { return (0, 0) }
        var forward = 0
        var discarded = 0
        for label in (try? FileManager.default.contentsOfDirectory(atPath: layout.pending)) ?? [] {
            let labelFolder = layout.pending(label: label)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: labelFolder)) ?? []
            let known = Identifier.isValid(label) && (try? labels().contains(label)) == true
            let manifest = known ? try? context(label: label) : nil
            // An unreadable manifest cannot say whether the accept committed: keep its staged masks
            // until the file is fixed, and let the other labels go on.
            if known && manifest == nil { continue }
            for name in names {
                let path = labelFolder + "/" + name
                if let manifest, let staged = ProjectLayout.stagedMask(named: name), Identifier.isValid(staged.image),
                   manifest.entry(staged.image)?.version == staged.version {
                    try storage { try FileSystem.moveAtomically(path, to: layout.mask(label: label, image: staged.image)) }
                    forward += 1
                } else {
                    unlink(path)
                    discarded += 1
                }
            }
            rmdir(labelFolder)
        }
        rmdir(layout.pending)
        return (forward, discarded)
    }
}
