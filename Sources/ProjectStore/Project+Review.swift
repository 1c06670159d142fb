import Foundation
import Imaging
import PNGCodec

// Reviewing proposals: the queue (most uncertain first), accepting one as it is, rejecting one,
// and keeping drafts (masks imported to be refined) in the same queue.

/// One proposal waiting for review.
public struct ProposalItem: Sendable, Equatable {
    public let image: String
    public let record: ProposalRecord
    /// Made from another context revision than the label's current one (never for drafts).
    public let stale: Bool
    /// Names this version of the proposal (a hash of its record, which changes with every write):
    /// pass it back to `acceptProposal` / `rejectProposal` to act only on the version you saw.
    public let tag: String
}

/// A label's review queue and where the label stands. Each image counts once: `accepted` (an
/// accepted mask), `proposed` (a proposal or draft to review) or `remaining` (neither).
public struct ProposalQueue: Sendable, Equatable {
    /// Most uncertain first; ties by image id.
    public let items: [ProposalItem]
    public let accepted: Int
    public let remaining: Int
    /// The label's context revision the stale flags were judged against.
    public let contextRevision: String
    public var proposed: Int { items.count }
    /// Items made from another context revision.
    public let stale: Int
    /// Items that are drafts (imported masks, never stale).
    public let drafts: Int

    init(items: [ProposalItem], accepted: Int, remaining: Int, contextRevision: String) {
        self.items = items
        self.accepted = accepted
        self.remaining = remaining
        self.contextRevision = contextRevision
        stale = items.count(where: \.stale)
        drafts = items.count { $0.record.isDraft }
    }
}

/// `proposals/<label>/rejected/<image>.json`: a proposal someone rejected, so that `propagate` does
/// not propose that image again from the same context revision.
///
/// ```json
/// {"annotator": "ana", "contextRevision": "5f0c9e2a41d7b3c8", "model": "default.safetensors sha256:3b1f…",
///  "rejectedAt": "2026-12-03T01:10:00Z", "schema": 1}
/// ```
public struct ProposalRejection: Codable, Sendable, Equatable {
    public static let currentSchema = 1
    public var schema: Int
    /// The context revision the rejected proposal was made from.
    public var contextRevision: String
    public var model: String
    public var rejectedAt: String
    public var annotator: String
}

extension ProposalRecord {
    /// `source` of a mask imported as a draft (`import-masks --as draft`, the page's import).
    public static let importedSource = "imported"

    /// A draft: a mask imported to be refined, not predicted. Drafts are never stale and
    /// `propagate` leaves them alone.
    public var isDraft: Bool { source == Self.importedSource }

    /// The record of an imported draft.
    ///
    /// ```swift
    /// try project.saveProposal(label: "head", image: "003_HC", mask: mask, record: .draft(fileName: "003_HC_Annotation.png"))
    /// ```
    public static func draft(fileName: String, at date: Date = Date()) -> ProposalRecord {
        var record = ProposalRecord(contextRevision: "", uncertainty: 0, model: Self.importedSource,
                                    createdAt: date, contextSize: 0)
        record.source = Self.importedSource
        record.importedFrom = String(fileName.prefix(200))
        return record
    }
}

extension Project {
    /// The label's proposals waiting for review, most uncertain first, with the counts of a
    /// review's progress. The context revision is read once per call; an image that has an
    /// accepted mask is not listed (its proposal is settled), nor is a proposal whose record is
    /// unreadable or whose PNG is missing.
    ///
    /// ```swift
    /// let queue = try project.proposalQueue(label: "head")
    /// print("\(queue.accepted) accepted, \(queue.proposed) to review (\(queue.stale) stale)")
    /// ```
    public func proposalQueue(label: String) throws -> ProposalQueue {
        try requireLabel(label)
        let current = contextRevision(label: label).fingerprint
        let snapshot = try proposalSnapshot(label: label)
        // The stamps the image ids and accepted masks were listed under: with the snapshot and the
        // revision they decide whether the queue built last time still holds.
        guard let images = FileStamp(layout.images), let masks = FileStamp(layout.masks(label: label)) else {
            return try buildProposalQueue(label: label, snapshot: snapshot, revision: current)
        }
        let key = ProposalIndex.QueueKey(snapshot: snapshot.generation, revision: current, images: images, masks: masks)
        return try ProposalIndex.shared.queue(of: layout.proposals(label: label), key: key) {
            try buildProposalQueue(label: label, snapshot: snapshot, revision: current)
        }
    }

    private func buildProposalQueue(label: String, snapshot: ProposalIndex.Snapshot, revision current: String) throws -> ProposalQueue {
        let images = imageListing()
        let done = acceptedImages(label: label)
        // A link leading out is refused as every read through `inside` refuses it.
        for image in snapshot.leaving where images.set.contains(image) && !done.contains(image) {
            _ = try inside(layout.proposalRecord(label: label, image: image))
            _ = try inside(layout.proposalMask(label: label, image: image))
        }
        let accepted = done.count { images.set.contains($0) }
        var items: [ProposalItem] = []
        items.reserveCapacity(snapshot.queue.count)
        for proposal in snapshot.queue where images.set.contains(proposal.image) && !done.contains(proposal.image) {
            let record = proposal.record
            items.append(ProposalItem(image: proposal.image, record: record,
                                      stale: !record.isDraft && record.contextRevision != current, tag: proposal.tag))
        }
        return ProposalQueue(items: items, accepted: accepted,
                             remaining: images.ids.count - accepted - items.count, contextRevision: current)
    }

    /// Accepts a proposal as it is: its PNG becomes the accepted mask through `accept` (with
    /// `annotator` and 0 interactions, joining the context set) and the proposal's files are
    /// removed, all under the project lock. With `expectedTag`, a proposal that a collaborator
    /// replaced or removed since it was listed is refused (`proposalChanged`, `noProposal`)
    /// rather than accepting a mask nobody looked at.
    ///
    /// ```swift
    /// let item = try project.proposalQueue(label: "head").items[0]
    /// try project.acceptProposal(label: "head", image: item.image, annotator: "ana", expectedTag: item.tag)
    /// ```
    @discardableResult
    public func acceptProposal(
        label: String, image: String, annotator: String, expectedTag: String? = nil, at date: Date = Date()
    ) throws -> ContextEntry {
        try requireLabel(label)
        try requireValid(image, kind: "image id")
        return try mutate {
            _ = try checkedProposal(label: label, image: image, expectedTag: expectedTag)
            let png = try storage { try FileSystem.read(try inside(layout.proposalMask(label: label, image: image))) }
            let mask: BinaryMask
            do {
                mask = try BinaryMask(png: png)
            } catch let error as PNGError {
                throw ProjectStoreError.invalidImage(name: "proposal of \(image)", reason: error.description)
            }
            let checked = try maskPNG(label: label, image: image, mask: mask)
            // acceptLocked removes the proposal's files once the accept is committed.
            let entry = try acceptLocked(label: label, image: image, png: checked, annotator: annotator,
                                         interactions: 0, at: date)
            try removeRejection(label: label, image: image)
            return entry
        }
    }

    /// Rejects a proposal: its files are removed and the rejection is recorded
    /// (`proposals/<label>/rejected/<image>.json`), so `propagate` does not propose the image again
    /// from the same context revision. The image stays unaccepted. `expectedTag` as in
    /// `acceptProposal`.
    ///
    /// ```swift
    /// try project.rejectProposal(label: "head", image: "012_HC", annotator: "ana")
    /// ```
    public func rejectProposal(label: String, image: String, annotator: String, expectedTag: String? = nil,
                               at date: Date = Date()) throws {
        try requireLabel(label)
        try requireValid(image, kind: "image id")
        try withLock {
            let record = try checkedProposal(label: label, image: image, expectedTag: expectedTag)
            let rejection = ProposalRejection(
                schema: ProposalRejection.currentSchema, contextRevision: record.contextRevision,
                model: record.model, rejectedAt: Self.timestamp(date), annotator: String(annotator.prefix(100)))
            try write(json: rejection, to: layout.proposalRejection(label: label, image: image))
            try removeProposalFiles(label: label, image: image)
        }
    }

    /// The images with a recorded rejection (`proposals/<label>/rejected/<image>.json`): one
    /// listing, so a plan over 10,000 images reads only the rejections there are.
    ///
    /// ```swift
    /// let rejected = try project.rejectedImages(label: "head")
    /// let again = rejected.contains("012_HC") ? try project.rejection(label: "head", image: "012_HC") : nil
    /// ```
    public func rejectedImages(label: String) throws -> Set<String> {
        try requireLabel(label)
        let folder = try inside(layout.proposalRejections(label: label))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return Set(names.compactMap { name -> String? in
            guard name.hasSuffix(".json"), !FileSystem.isTemporary(name) else { return nil }
            let id = String(name.dropLast(5))
            return Identifier.isValid(id) ? id : nil
        })
    }

    /// The recorded rejection of `image`'s last rejected proposal, or nil.
    public func rejection(label: String, image: String) throws -> ProposalRejection? {
        try requireLabel(label)
        try requireValid(image, kind: "image id")
        let path = try inside(layout.proposalRejection(label: label, image: image))
        guard FileSystem.exists(path), let bytes = try? FileSystem.read(path) else { return nil }
        return try? JSONDecoder().decode(ProposalRejection.self, from: Data(bytes))
    }

    /// The record and tag of a proposal whose PNG is there too, or nil.
    func readProposalRecord(label: String, image: String) throws -> (record: ProposalRecord, tag: String)? {
        let recordPath = try inside(layout.proposalRecord(label: label, image: image))
        let maskPath = try inside(layout.proposalMask(label: label, image: image))
        guard FileSystem.exists(recordPath), FileSystem.exists(maskPath),
              let found = (try? FileSystem.read(recordPath)).flatMap(ProposalIndex.decoded) else { return nil }
        return (found.record, found.tag)
    }

    /// The proposal's record, after checking (under the caller's lock) that it is there and, with
    /// `expectedTag`, unchanged.
    private func checkedProposal(label: String, image: String, expectedTag: String?) throws -> ProposalRecord {
        guard !isAccepted(label: label, image: image) else {
            throw ProjectStoreError.proposalChanged(image: image, label: label, change: "was accepted meanwhile")
        }
        guard let (record, tag) = try readProposalRecord(label: label, image: image) else {
            throw ProjectStoreError.noProposal(image: image, label: label)
        }
        if let expectedTag, expectedTag != tag {
            // What the queue showed may be what this process remembered wrongly: read it all again.
            ProposalIndex.shared.forget(layout.proposals(label: label))
            throw ProjectStoreError.proposalChanged(image: image, label: label, change: "was replaced meanwhile")
        }
        return record
    }

    /// Removes a proposal's record (which commits it) and then its PNG.
    func removeProposalFiles(label: String, image: String) throws {
        let record = try inside(layout.proposalRecord(label: label, image: image))
        let mask = try inside(layout.proposalMask(label: label, image: image))
        try storage {
            try FileSystem.remove(record)
            try FileSystem.remove(mask)
        }
    }

    private func removeRejection(label: String, image: String) throws {
        let path = try inside(layout.proposalRejection(label: label, image: image))
        try storage { try FileSystem.remove(path) }
    }
}
