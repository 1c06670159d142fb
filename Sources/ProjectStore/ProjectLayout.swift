/// Where everything lives in a project folder: the folder format, as code. Every path into a
/// project is built here, so the format can be read (and changed) in one place:
///
/// ```
/// project.json                   name, labels, schema
/// images/<id>.png                the images as imported
/// volumes/<id>.json              a volume's sidecar: its slices' images, geometry, intensity mapping
/// masks/<label>/<id>.png         accepted masks, 0/255, image size
/// context/<label>.json           the label's ordered context manifest
/// history/<label>/<id>/<v>.png   every earlier version of a mask (and a removed entry's)
/// .pending/<label>/<id>@<v>.png  a mask being accepted, until its manifest entry is committed
/// trash/images/<id>[-<time>].png a deleted image, to be moved back by hand if wanted
/// proposals/<label>/<id>.png     a proposed mask (`multiverseg propagate`), 0/255, image size
/// proposals/<label>/<id>.json    what it was made from (context revision, model, uncertainty)
/// proposals/<label>/rejected/<id>.json  a rejected proposal's revision: not proposed again from it
/// trash/labels/<label>-<time>/   a deleted label's masks, context.json, history, proposals
/// .label-change.json             a label rename or delete under way (finished by the next writer)
/// .multiverseg.lock              advisory lock serialising writers (also across processes)
/// .scratch/<random>/             an upload being imported (a volume file, a zip's DICOM files); removed after
/// ```
///
/// Ids and labels are joined as they are: `Project` checks them (`Identifier.isValid`) and keeps
/// every path inside the folder (`Project.inside`) before using one.
///
/// ```swift
/// let layout = ProjectLayout(folder: "Projects/cells")
/// layout.mask(label: "nucleus", image: "a")   // "Projects/cells/masks/nucleus/a.png"
/// ```
struct ProjectLayout: Sendable, Equatable {
    let folder: String

    var manifest: String { folder + "/project.json" }
    var lock: String { folder + "/.multiverseg.lock" }

    var images: String { folder + "/images" }
    func image(_ id: String) -> String { images + "/\(id).png" }

    var volumes: String { folder + "/volumes" }
    func volume(_ id: String) -> String { volumes + "/\(id).json" }

    func masks(label: String) -> String { folder + "/masks/" + label }
    func mask(label: String, image: String) -> String { masks(label: label) + "/\(image).png" }

    func context(label: String) -> String { folder + "/context/\(label).json" }

    func history(label: String) -> String { folder + "/history/" + label }
    func history(label: String, image: String) -> String { history(label: label) + "/" + image }
    func history(label: String, image: String, version: Int) -> String {
        history(label: label, image: image) + "/\(version).png"
    }

    func proposals(label: String) -> String { folder + "/proposals/\(label)" }
    func proposalMask(label: String, image: String) -> String { proposals(label: label) + "/\(image).png" }
    func proposalRecord(label: String, image: String) -> String { proposals(label: label) + "/\(image).json" }
    func proposalRejections(label: String) -> String { proposals(label: label) + "/rejected" }
    func proposalRejection(label: String, image: String) -> String {
        proposalRejections(label: label) + "/\(image).json"
    }

    var scratch: String { folder + "/.scratch" }

    var pending: String { folder + "/.pending" }
    func pending(label: String) -> String { pending + "/" + label }
    func pending(label: String, image: String, version: Int) -> String {
        pending(label: label) + "/\(image)@\(version).png"
    }

    /// The image and version a staged mask's file name (`<id>@<v>.png`) stands for, or nil for a
    /// name of another form. The id is not checked here.
    static func stagedMask(named name: String) -> (image: String, version: Int)? {
        let parts = name.hasSuffix(".png") ? name.dropLast(4).split(separator: "@") : []
        guard parts.count == 2, let version = Int(parts[1]) else { return nil }
        return (String(parts[0]), version)
    }

    /// The journal of a label rename or delete: written before the label's files move, removed
    /// once `project.json` names the new state, so a change cut short is finished, never half kept.
    var labelChange: String { folder + "/.label-change.json" }

    /// Every place that holds files of one label, relative to the project folder, each with the
    /// name it gets in a deleted label's trash folder: the one list a label rename or delete moves.
    func labelItems(_ label: String) -> [(path: String, trashName: String)] {
        [(masks(label: label), "masks"), (context(label: label), "context.json"), (history(label: label), "history"),
         (proposals(label: label), "proposals"), (pending(label: label), "pending")]
    }

    /// `trash/labels/<label>-<stamp>`, relative to the project folder: where a deleted label's files go.
    static func trashedLabel(_ label: String, stamp: String) -> String { "trash/labels/\(label)-\(stamp)" }

    /// `trash/images/<id>.png`, or `<id>-<stamp>.png` when an earlier image of that id is there.
    func trashedImage(_ id: String, stamp: String? = nil) -> String {
        folder + "/trash/images/" + id + (stamp.map { "-" + $0 } ?? "") + ".png"
    }
}
