import ProjectStore

/// One label of one project: what a labeling page works on, and what context sets, cached
/// predictions and collaborators' changes are kept by.
///
/// ```swift
/// let key = LabelKey(project, "bone")
/// key.project   // "knees"
/// ```
struct LabelKey: Hashable, Sendable, CustomStringConvertible {
    let project: String
    let label: String

    init(project: String, label: String) {
        self.project = project
        self.label = label
    }

    init(_ project: Project, _ label: String) {
        self.init(project: project.id, label: label)
    }

    var description: String { "\(project)/\(label)" }
}
