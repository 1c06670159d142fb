import Foundation
import Imaging
import PNGCodec

// Proposals: masks predicted for images nobody has accepted yet (`multiverseg propagate`), kept
// in `proposals/<label>/` apart from accepted masks until someone reviews them.

/// `proposals/<label>/<image>.json`: what a proposed mask was made from.
///
/// ```json
/// {"contextRevision": "5f0c9e2a41d7b3c8", "contextSize": 3, "createdAt": "2026-12-02T22:10:00Z",
///  "model": "default.safetensors sha256:3b1f…", "schema": 1, "uncertainty": 0.0712}
/// ```
public struct ProposalRecord: Codable, Sendable, Equatable {
    public static let currentSchema = 1

    public var schema: Int
    /// `ContextRevision.fingerprint` of the label's context the proposal was made from.
    public var contextRevision: String
    /// Mean binary entropy of the prediction in bits (0 certain ... 1 a coin flip).
    public var uncertainty: Double
    /// The weights: file name and `sha256:` of its bytes.
    public var model: String
    /// ISO 8601, UTC.
    public var createdAt: String
    /// Context entries the network conditioned on (the most similar ones, at most the limit).
    public var contextSize: Int
    /// Absent for a prediction; `"imported"` for a draft (a mask imported to be refined, see
    /// `ProposalRecord.draft`). Older records lack it, and older apps ignore it.
    public var source: String?
    /// A draft's original file name.
    public var importedFrom: String?

    public init(contextRevision: String, uncertainty: Double, model: String, createdAt: Date = Date(), contextSize: Int) {
        schema = Self.currentSchema
        self.contextRevision = contextRevision
        self.uncertainty = uncertainty
        self.model = model
        self.createdAt = Project.timestamp(createdAt)
        self.contextSize = contextSize
    }
}

extension Project {
    /// Saves a proposed mask for `image` and its record, each written atomically under the
    /// project lock: the PNG first, then the JSON, which commits it (a process killed in between
    /// leaves a proposal whose record is missing or older, which `propagate` makes again). An
    /// image that has an accepted mask gets no proposal (someone accepted it meanwhile): returns
    /// false and writes nothing. Accepted masks are never read or written here.
    ///
    /// ```swift
    /// let record = ProposalRecord(contextRevision: revision.fingerprint, uncertainty: 0.07,
    ///                             model: "default.safetensors sha256:…", contextSize: 3)
    /// try project.saveProposal(label: "head", image: "067_HC", mask: mask, record: record)
    /// ```
    @discardableResult
    public func saveProposal(label: String, image: String, mask: BinaryMask, record: ProposalRecord) throws -> Bool {
        let png = try maskPNG(label: label, image: image, mask: mask)
        return try withLock {
            guard !isAccepted(label: label, image: image) else { return false }
            let target = try inside(layout.proposalMask(label: label, image: image))
            try storage { try FileSystem.writeAtomically(png, to: target) }
            try write(json: record, to: layout.proposalRecord(label: label, image: image))
            return true
        }
    }

    /// The record of `image`'s proposal, or nil when there is none (or its record is unreadable,
    /// or its PNG is missing: a proposal to be made again).
    public func proposal(label: String, image: String) throws -> ProposalRecord? {
        try requireLabel(label)
        try requireValid(image, kind: "image id")
        return try readProposalRecord(label: label, image: image)?.record
    }

    /// The proposed mask's PNG, or nil when there is none.
    public func proposalPNG(label: String, image: String) throws -> [UInt8]? {
        try requireLabel(label)
        try requireValid(image, kind: "image id")
        let path = try inside(layout.proposalMask(label: label, image: image))
        guard FileSystem.exists(path) else { return nil }
        return try storage { try FileSystem.read(path) }
    }

    /// Ids of the images with a proposal (a PNG and a record) for `label`, sorted. One listing of
    /// `proposals/<label>/`, remembered while the folder's stamp stays the same (`ProposalIndex`;
    /// every write there ends in a rename, which changes it).
    public func proposalIDs(label: String) throws -> [String] {
        try proposalSnapshot(label: label).ids
    }

    /// The label's proposals as `ProposalIndex` keeps them: records decoded, in queue order, with
    /// the ids whose files are links leading out of the project.
    func proposalSnapshot(label: String) throws -> ProposalIndex.Snapshot {
        try requireLabel(label)
        let folder = try inside(layout.proposals(label: label))
        return ProposalIndex.shared.snapshot(of: folder, project: resolvedFolder)
    }
}
