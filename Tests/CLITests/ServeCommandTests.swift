import Foundation
import TestSupport
import Testing

/// Runs the real `multiverseg` binary (built next to the test bundle) as a user would.
@Suite struct ServeCommandTests {
    static var binary: String { BuiltTool.binary }
    static var repositoryRoot: String { BuiltTool.repositoryRoot }

    /// Starts `serve --port 0`, waits for the URL line and returns the process, its port, its output pipe and
    /// what it printed up to the URL;
    /// by default the repository's binary in the repository (an installed copy passes its own binary, folder
    /// and environment).
    static func startServer(arguments: [String] = [], binary: String = binary, in folder: String = repositoryRoot,
                            environment: [String: String]? = nil) throws -> (Process, UInt16, Pipe, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", "0"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        var text = ""
        let deadline = Date(timeIntervalSinceNow: 20)
        while Date() < deadline {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: #"http://127\.0\.0\.1:(\d+)/"#, options: .regularExpression) {
                let url = String(text[range])
                let port = UInt16(url.split(separator: ":").last!.dropLast())!
                return (process, port, output, text)
            }
        }
        process.terminate()
        throw HTTPTestClient.Failure(description: "serve printed no URL: \(text)")
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func servesTheDemoProjectAndStopsOnSignal(signal: Int32) throws {
        let (process, port, output, _) = try Self.startServer()
        let health = try HTTPTestClient.request(port: port, target: "/api/health").json()
        #expect(health["status"] as? String == "ok")
        #expect((health["projects"] as? Int ?? 0) >= 1, "the demo project must be found")
        let page = try HTTPTestClient.request(port: port, target: "/")
        #expect(page.status == 200 && page.text.contains("MultiverSeg"))
        kill(process.processIdentifier, signal)
        let deadline = Date(timeIntervalSinceNow: 10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!process.isRunning, "serve must stop within 10 s of the signal")
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(rest.contains("Stopped."))
    }

    @Test func missingProjectsFolderIsAClearError() throws {
        let (status, text) = try BuiltTool.run(["serve", "--port", "0", "--projects", "/nonexistent/projects"])
        #expect(status != 0)
        #expect(text.contains("does not exist"))
    }

    @Test func versionAndHelp() throws {
        for (arguments, expected) in [(["--version"], "0."), (["--help"], "serve")] {
            let (status, text) = try BuiltTool.run(arguments)
            #expect(status == 0)
            #expect(text.contains(expected))
        }
    }
}
