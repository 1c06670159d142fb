import Foundation
import TestSupport
import Testing

/// An installed copy (the .deb's /usr/bin + /usr/share/multiverseg, or the tarball's bin/ + share/multiverseg)
/// finds its resources beside its bin/ folder and keeps projects in the per-user XDG data folder, made on the
/// first run with the demo project. Built here as a temporary tree around a copy of the test build's binary.
@Suite struct InstallationTests {
    /// `<tmp>/prefix/bin/multiverseg` and `<tmp>/prefix/share/multiverseg/{Public,Templates,Weights,Projects}`.
    struct InstalledCopy {
        let root: URL
        var binary: String { root.appendingPathComponent("prefix/bin/multiverseg").path }
        var elsewhere: String { root.appendingPathComponent("elsewhere").path }

        init() throws {
            root = FileManager.default.temporaryDirectory
                .appendingPathComponent("multiverseg-installed-\(UUID().uuidString)")
            let files = FileManager.default
            let bin = root.appendingPathComponent("prefix/bin")
            let share = root.appendingPathComponent("prefix/share/multiverseg")
            try files.createDirectory(at: bin, withIntermediateDirectories: true)
            try files.createDirectory(at: share, withIntermediateDirectories: true)
            try files.createDirectory(atPath: root.appendingPathComponent("elsewhere").path, withIntermediateDirectories: true)
            // A copy, not a link: the binary finds its resources from its own resolved path.
            try files.copyItem(atPath: ServeCommandTests.binary, toPath: bin.appendingPathComponent("multiverseg").path)
            let repository = URL(fileURLWithPath: ServeCommandTests.repositoryRoot)
            for folder in ["Public", "Templates", "Weights"] {
                try files.createSymbolicLink(at: share.appendingPathComponent(folder),
                                             withDestinationURL: repository.appendingPathComponent(folder))
            }
            try files.copyItem(at: repository.appendingPathComponent("Projects"), to: share.appendingPathComponent("Projects"))
        }

        func remove() { try? FileManager.default.removeItem(at: root) }

        /// Runs `serve` from a folder outside the repository with only `environment`; returns what it printed
        /// up to the URL and the number of projects /api/health reports.
        func serve(environment: [String: String]) throws -> (banner: String, projects: Int) {
            let (process, port, _, banner) = try ServeCommandTests.startServer(
                arguments: ["--threads", "1"], binary: binary, in: elsewhere, environment: environment)
            defer { process.terminate(); process.waitUntilExit() }
            let health = try HTTPTestClient.request(port: port, target: "/api/health").json()
            #expect(health["status"] as? String == "ok")
            #expect((health["model"] as? [String: Any])?["available"] as? Bool == true,
                    "the shipped weights must be found under share/multiverseg/Weights")
            return (banner, health["projects"] as? Int ?? -1)
        }
    }

    @Test func firstRunMakesTheUserProjectsFolderWithTheDemo() throws {
        let copy = try InstalledCopy()
        defer { copy.remove() }
        let home = copy.root.appendingPathComponent("home").path
        let projects = home + "/.local/share/multiverseg/Projects"
        let first = try copy.serve(environment: ["HOME": home, "PATH": "/usr/bin:/bin"])
        #expect(first.banner.contains("project(s) in \(projects)"), "serve must say where the projects are: \(first.banner)")
        #expect(first.projects == 1)
        #expect(FileManager.default.fileExists(atPath: projects + "/fetal-head-demo/project.json"))
        // The folder is the user's from now on: a deleted demo is not brought back.
        try FileManager.default.removeItem(atPath: projects + "/fetal-head-demo")
        let second = try copy.serve(environment: ["HOME": home, "PATH": "/usr/bin:/bin"])
        #expect(second.projects == 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: home + "/.local/share/multiverseg")
        #expect(leftovers == ["Projects"], "no staging folder may stay behind: \(leftovers)")
    }

    @Test func xdgDataHomeWins() throws {
        let copy = try InstalledCopy()
        defer { copy.remove() }
        let data = copy.root.appendingPathComponent("data").path
        let run = try copy.serve(environment: ["HOME": copy.root.appendingPathComponent("home").path,
                                               "XDG_DATA_HOME": data, "PATH": "/usr/bin:/bin"])
        #expect(run.banner.contains("project(s) in \(data)/multiverseg/Projects"))
        #expect(run.projects == 1)
    }

    @Test func noHomeIsAClearError() throws {
        let copy = try InstalledCopy()
        defer { copy.remove() }
        let (status, text) = try BuiltTool.run(["serve", "--port", "0"], binary: copy.binary, in: copy.elsewhere,
                                                environment: ["PATH": "/usr/bin:/bin"])
        #expect(status != 0)
        #expect(text.contains("pass --projects DIR"), "\(text)")
    }

    @Test func projectsOptionStillWins() throws {
        let copy = try InstalledCopy()
        defer { copy.remove() }
        let mine = copy.root.appendingPathComponent("mine").path
        try FileManager.default.createDirectory(atPath: mine, withIntermediateDirectories: true)
        let home = copy.root.appendingPathComponent("home").path
        let (process, port, _, banner) = try ServeCommandTests.startServer(
            arguments: ["--projects", "../mine", "--threads", "1"], binary: copy.binary, in: copy.elsewhere,
            environment: ["HOME": home, "PATH": "/usr/bin:/bin"])
        defer { process.terminate(); process.waitUntilExit() }
        #expect(banner.contains("0 project(s) in \(copy.elsewhere)/../mine"), "\(banner)")
        #expect(try HTTPTestClient.request(port: port, target: "/api/health").status == 200)
        #expect(!FileManager.default.fileExists(atPath: home), "no per-user folder when --projects is given")
    }
}
