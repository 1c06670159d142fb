import Inference

/// JSON bodies of the labeling API (documented in the README, "HTTP API").
enum API {
    struct CreateProject: Decodable {
        let name: String
        let labels: [String]?
        let description: String?
    }

    struct RenameProject: Decodable {
        let name: String
    }

    struct AddLabel: Decodable {
        let label: String
    }

    struct RenameLabel: Decodable {
        let name: String
    }

    struct Point: Decodable {
        let x: Double
        let y: Double
        let positive: Bool?
    }

    struct Box: Decodable {
        let x0: Double
        let y0: Double
        let x1: Double
        let y1: Double
    }

    struct Stroke: Decodable {
        let points: [[Double]]
        let positive: Bool
        let width: Double?
    }

    struct PredictRequest: Decodable {
        let session: String
        let seq: Int
        let clicks: [Point]?
        let boxes: [Box]?
        let scribbles: [Stroke]?
        let usePrevious: Bool?
        /// Refine the label's proposal of the image: it stands in for the previous prediction.
        let fromProposal: Bool?

        /// The interactions in the predictor's terms; a malformed stroke is a 400.
        func interactions() throws -> Interactions {
            var result = Interactions()
            for click in clicks ?? [] {
                let point = ImagePoint(x: click.x, y: click.y)
                if click.positive ?? true { result.positiveClicks.append(point) } else { result.negativeClicks.append(point) }
            }
            result.boxes = (boxes ?? []).map { ImageBox(x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1) }
            for stroke in scribbles ?? [] {
                let points = try stroke.points.map { pair -> ImagePoint in
                    guard pair.count == 2 else { throw APIError.badStroke }
                    return ImagePoint(x: pair[0], y: pair[1])
                }
                let scribble = Scribble(points: points, width: stroke.width)
                if stroke.positive { result.positiveScribbles.append(scribble) } else { result.negativeScribbles.append(scribble) }
            }
            return result
        }
    }

    enum APIError: Error {
        case badStroke
    }

    struct Accept: Decodable {
        let maskPNG: String
        let annotator: String?
        let interactions: Int?
    }

    struct SetIncluded: Decodable {
        let included: Bool
    }

    /// A mask imported as a draft: a proposal to review, not an accepted mask.
    struct Draft: Decodable {
        let maskPNG: String
        /// The imported file's name, kept in the draft's record.
        let fileName: String?
    }

    /// Mask file names the project page is about to import, to match with images
    /// (`MaskFileMatcher`, the rule `import-masks` uses).
    struct MatchMasks: Decodable {
        let files: [String]
    }

    /// A file's image, or null and why there is none.
    struct MaskMatch: Encodable {
        let file: String
        let image: String?
        let reason: String?

        private enum CodingKeys: CodingKey { case file, image, reason }

        // Nulls written out, so the page reads every row the same way.
        func encode(to encoder: any Encoder) throws {
            var row = encoder.container(keyedBy: CodingKeys.self)
            try row.encode(file, forKey: .file)
            try row.encode(image, forKey: .image)
            try row.encode(reason, forKey: .reason)
        }
    }

    /// Accepting or rejecting a proposal under review.
    struct Review: Decodable {
        let annotator: String?
        /// The proposal's `tag` as listed: a proposal replaced since is refused (409).
        let tag: String?
    }
}
