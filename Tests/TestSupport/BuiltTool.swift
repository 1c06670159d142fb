import Foundation

/// The `multiverseg` binary the test build made, run as a user would run it.
///
/// ```swift
/// let (status, output) = try BuiltTool.run(["--version"])
/// #expect(status == 0 && output.hasPrefix("0."))
/// ```
public enum BuiltTool {
    /// The binary next to the test bundle (SwiftPM builds every product into the same folder).
    public static var binary: String {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // The test runner may live inside an .xctest bundle folder.
        if folder.pathExtension == "xctest" { folder = folder.deletingLastPathComponent() }
        return folder.appendingPathComponent("multiverseg").path
    }

    /// The repository (for its demo project, Public/ and Templates/).
    public static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// Runs `binary` (default: the built multiverseg) to completion and returns its exit status and its
    /// stdout and stderr together. Output is read before waiting, so a chatty command cannot fill the
    /// pipe and hang. `environment` replaces the whole environment when given.
    public static func run(_ arguments: [String], binary: String = binary, in folder: String? = nil,
                           environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
