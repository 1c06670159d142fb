import Foundation

/// Where the app's own files (Public/, Templates/, Weights/, the demo Projects/) and the user's projects live,
/// for the three ways the binary runs:
///
/// | how it runs | resources | default projects folder |
/// |---|---|---|
/// | from a source checkout (`.build/…/multiverseg`, `scripts/serve`) | the checkout's root | `Projects` (relative to the working directory) |
/// | installed from the `.deb` (`/usr/bin/multiverseg`) | `/usr/share/multiverseg` | the per-user data folder (below) |
/// | unpacked from the tarball (`…/bin/multiverseg`) | `…/share/multiverseg` | the per-user data folder (below) |
///
/// The per-user data folder follows the XDG Base Directory convention: `$XDG_DATA_HOME/multiverseg/Projects`,
/// i.e. `~/.local/share/multiverseg/Projects` when `XDG_DATA_HOME` is unset. It is created on first use with
/// the demo project copied in, so a new user lands on something to label.
///
///     let publicRoot = Installation.current.resource("Public")   // e.g. "/usr/share/multiverseg/Public"
///     let projects = try Installation.current.defaultProjectsFolder()
struct Installation: Sendable {
    /// The folder of the running executable (symbolic links resolved).
    let executableFolder: String
    /// The process's working directory.
    let workingDirectory: String
    /// The environment, for `XDG_DATA_HOME` and `HOME`.
    let environment: [String: String]

    static var current: Installation {
        Installation(executableFolder: (executablePath() as NSString).deletingLastPathComponent,
                     workingDirectory: FileManager.default.currentDirectoryPath,
                     environment: ProcessInfo.processInfo.environment)
    }

    /// `<bin>/../share/multiverseg`: the layout of both the `.deb` and the tarball.
    var sharedFolder: String {
        ((executableFolder as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("share/multiverseg")
    }

    /// True when the binary runs from an installed copy (a `share/multiverseg` folder beside its `bin/`).
    var isInstalled: Bool { Self.isDirectory((sharedFolder as NSString).appendingPathComponent("Public")) }

    /// The app's folder `name` (`Public`, `Templates`, `Weights`, `Projects`): the installed copy's first, then
    /// each folder above the executable (a source checkout's `.build/…`), then the working directory.
    func resource(_ name: String) -> String? {
        var candidates = [sharedFolder]
        var folder = executableFolder
        while folder != "/" && !folder.isEmpty {
            candidates.append(folder)
            folder = (folder as NSString).deletingLastPathComponent
        }
        candidates.append(workingDirectory)
        return candidates.lazy.map { ($0 as NSString).appendingPathComponent(name) }.first(where: Self.isDirectory)
    }

    /// The per-user projects folder of an installed copy (see the type's documentation).
    var userProjectsFolder: String? {
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? environment["HOME"].flatMap { $0.isEmpty ? nil : ($0 as NSString).appendingPathComponent(".local/share") }
        return dataHome.map { ($0 as NSString).appendingPathComponent("multiverseg/Projects") }
    }

    /// The projects folder to use when no `--projects` is given: `Projects` in a source checkout (as always);
    /// installed, the per-user folder, created on first use with the demo project copied in.
    func defaultProjectsFolder() throws -> String {
        guard isInstalled else { return absolute("Projects") }
        guard let folder = userProjectsFolder else { throw InstallationError.noHome }
        if !Self.isDirectory(folder) {
            try createWithDemo(folder)
        }
        return folder
    }

    /// `path` made absolute against the working directory.
    func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (workingDirectory as NSString).appendingPathComponent(path)
    }

    /// Copies the shipped demo projects into a sibling temporary folder and renames it into place, so a run
    /// killed half-way leaves no half-made projects folder (the next run starts over).
    private func createWithDemo(_ folder: String) throws {
        let files = FileManager.default
        let parent = (folder as NSString).deletingLastPathComponent
        let staging = (parent as NSString).appendingPathComponent(".Projects-\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try files.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try? files.removeItem(atPath: staging)
            let demo = (sharedFolder as NSString).appendingPathComponent("Projects")
            if Self.isDirectory(demo) {
                try files.copyItem(atPath: demo, toPath: staging)
            } else {
                try files.createDirectory(atPath: staging, withIntermediateDirectories: false)
            }
            try files.moveItem(atPath: staging, toPath: folder)
        } catch {
            try? files.removeItem(atPath: staging)
            if Self.isDirectory(folder) { return }   // another first run won the race: use its folder
            throw InstallationError.cannotCreateProjects(folder: folder, reason: "\(error.localizedDescription)")
        }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The running binary, from /proc/self/exe (argv[0] is only a name when the binary was found on PATH).
    private static func executablePath() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        if let path = Bundle.main.executablePath { return path }
        let argument = CommandLine.arguments[0]
        return argument.hasPrefix("/") ? argument
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(argument)
    }
}

/// Why the default projects folder could not be made.
enum InstallationError: Error, CustomStringConvertible {
    case noHome
    case cannotCreateProjects(folder: String, reason: String)

    var description: String {
        switch self {
        case .noHome:
            return "cannot find a folder for your projects: neither XDG_DATA_HOME nor HOME is set; pass --projects DIR"
        case .cannotCreateProjects(let folder, let reason):
            return "cannot create the projects folder \(folder) (\(reason)); pass --projects DIR to use another folder"
        }
    }
}
