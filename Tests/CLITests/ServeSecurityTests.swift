import Foundation
import TestSupport
import Testing

/// `serve` off loopback: a token URL is printed and nothing is answered without the token.
@Suite struct ServeSecurityTests {
    /// Starts `serve` with `arguments`, waits for the "Scripts:"/"Open" lines and returns the
    /// process, the port and everything printed so far.
    func start(_ arguments: [String], environment: [String: String] = [:], until marker: String) throws
        -> (Process, UInt16, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServeCommandTests.binary)
        process.arguments = ["serve", "--port", "0"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: ServeCommandTests.repositoryRoot)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        var text = ""
        let deadline = Date(timeIntervalSinceNow: 30)
        while Date() < deadline, !text.contains(marker) {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard text.contains(marker),
              let range = text.range(of: #"http://127\.0\.0\.1:\d+/"#, options: .regularExpression),
              let port = UInt16(text[range].split(separator: ":").last!.dropLast()) else {
            process.terminate()
            throw HTTPTestClient.Failure(description: "serve did not print '\(marker)': \(text)")
        }
        return (process, port, text)
    }

    func stop(_ process: Process) {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    @Test func allInterfacesNeedTheRandomToken() throws {
        let (process, port, text) = try start(["--host", "0.0.0.0"], until: "Scripts:")
        defer { stop(process) }
        let match = try #require(text.range(of: #"http://0\.0\.0\.0:\d+/\?token=[0-9a-f]{48}"#, options: .regularExpression),
                                 "serve must print a token URL: \(text)")
        let token = String(text[match].split(separator: "=").last!)
        #expect(text.contains("http://127.0.0.1:\(port)/?token=\(token)"))
        #expect(text.contains("not loopback"))
        for target in ["/", "/api/health", "/js/api.js", "/api/projects"] {
            #expect(try HTTPTestClient.request(port: port, target: target).status == 401, "\(target) without token")
            let wrong = try HTTPTestClient.request(port: port, target: target,
                                                  headers: ["Authorization": "Bearer \(String(token.reversed()))"])
            #expect(wrong.status == 403, "\(target) with a wrong token")
        }
        let health = try HTTPTestClient.request(port: port, target: "/api/health", headers: ["Authorization": "Bearer \(token)"])
        #expect(health.status == 200)
        let open = try HTTPTestClient.request(port: port, target: "/?token=\(token)")
        #expect(open.status == 303 && open.headers["location"] == "/")
        let cookie = try #require(open.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
        let page = try HTTPTestClient.request(port: port, target: "/", headers: ["Cookie": cookie])
        #expect(page.status == 200 && page.text.contains("MultiverSeg"))
        // Off loopback the token is what protects: any Host name is answered once it is given.
        let otherName = try HTTPTestClient.request(port: port, target: "/api/health",
                                                  headers: ["Authorization": "Bearer \(token)"], host: "mybox:\(port)")
        #expect(otherName.status == 200)
    }

    @Test func tokensFromTheOptionOrTheEnvironmentAlsoWorkOnLoopback() throws {
        let chosen = "my-own-token-0123456789"
        let (process, port, text) = try start(["--token", chosen], until: "Scripts:")
        defer { stop(process) }
        #expect(text.contains("http://127.0.0.1:\(port)/?token=\(chosen)"))
        #expect(try HTTPTestClient.request(port: port, target: "/api/health").status == 401)
        #expect(try HTTPTestClient.request(port: port, target: "/api/health",
                                           headers: ["Authorization": "Bearer \(chosen)"]).status == 200)
        let (envProcess, envPort, _) = try start([], environment: ["MULTIVERSEG_TOKEN": chosen + "x"], until: "Scripts:")
        defer { stop(envProcess) }
        #expect(try HTTPTestClient.request(port: envPort, target: "/api/health",
                                           headers: ["Authorization": "Bearer \(chosen)x"]).status == 200)
        #expect(try HTTPTestClient.request(port: envPort, target: "/api/health").status == 401)
    }

    @Test func loopbackNeedsNoTokenButChecksTheHost() throws {
        let (process, port, text) = try start(["--max-upload-mb", "1", "--max-image-pixels", "100"], until: "Press Ctrl-C")
        defer { stop(process) }
        #expect(!text.contains("token="))
        #expect(try HTTPTestClient.request(port: port, target: "/api/health").status == 200)
        #expect(try HTTPTestClient.request(port: port, target: "/api/health", host: "evil.example:\(port)").status == 403)
        let big = try HTTPTestClient.request(port: port, method: "POST", target: "/api/projects/fetal-head-demo/images?name=x.png",
                                            declaredLength: 2 << 20)
        #expect(big.status == 413)
    }

    @Test func badTokensAndLimitsAreRefusedAtStart() throws {
        for arguments in [["--token", "short"], ["--token", "spaces are not allowed here"], ["--max-upload-mb", "0"],
                          ["--max-image-pixels", "0"]] {
            let (status, text) = try BuiltTool.run(["serve", "--port", "0"] + arguments, in: BuiltTool.repositoryRoot)
            #expect(status != 0, "\(arguments) must be refused: \(text)")
            #expect(text.contains(arguments[0]), "the error names the option: \(text)")
        }
    }
}
