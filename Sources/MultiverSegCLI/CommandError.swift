/// Why a command failed after its arguments were accepted. Commands throw these (and the
/// libraries' own typed errors) as they are: ArgumentParser prints their message alone, while a
/// `ValidationError`, kept for mistakes in the arguments, adds the usage text.
///
/// ```swift
/// guard !project.volumeIDs().isEmpty else { throw CommandError.noVolumes(project: project.id) }
/// ```
enum CommandError: Error, Equatable, CustomStringConvertible {
    /// `export --format nifti` on a project without imported volumes.
    case noVolumes(project: String)
    /// The export folder holds files other than mask PNGs, so it is not replaced.
    case outputInUse(path: String)
    /// `import-masks` found files it cannot import (each with its reason); it imported none.
    case masksNotImported([String])
    /// `import` could not read some images or volumes (each named above with its reason); the
    /// others were imported.
    case importIncomplete(imported: Int, failed: [String])

    var description: String {
        switch self {
        case let .noVolumes(project):
            return "project '\(project)' has no volumes; import a .nii or .nii.gz first"
        case let .outputInUse(path):
            return "\(path) exists and holds more than mask PNGs; choose a new or empty folder"
        case let .masksNotImported(problems):
            return "nothing was imported: \(problems.count) file(s) cannot be:\n"
                + problems.map { "  " + $0 }.joined(separator: "\n")
                + "\nfix or leave out these files and run the command again"
        case let .importIncomplete(imported, failed):
            return "\(failed.count) input(s) could not be imported (reasons above): \(failed.joined(separator: ", ")); "
                + "the other \(imported) image(s) were; fix those files and import them on their own"
        }
    }
}
