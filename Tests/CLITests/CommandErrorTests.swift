import Foundation
import TestSupport
import Testing

/// A runtime failure prints its own message; the usage text is for mistakes in the arguments.
@Suite struct CommandErrorTests {
    @Test func aMissingWeightsFileSaysSoWithoutTheUsageText() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (status, output) = try BuiltTool.run(["bench", "--weights", directory.file("missing.safetensors"), "--contexts", "0"])
        #expect(status != 0)
        #expect(output.contains("no model weights at missing.safetensors"), "\(output)")
        #expect(!output.contains("Usage:") && !output.contains("--help"), "\(output)")
    }

    @Test func anUnknownProjectSaysSoWithoutTheUsageText() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (status, output) = try BuiltTool.run(["export", "--projects", directory.path, "--project", "nope", "--label", "l",
                                        "-o", directory.file("out")])
        #expect(status != 0)
        #expect(output.contains("no project 'nope'") && !output.contains("Usage:"), "\(output)")
    }

    @Test func aBadArgumentStillShowsTheUsage() throws {
        let (status, output) = try BuiltTool.run(["bench", "--contexts", "x"])
        #expect(status != 0)
        #expect(output.contains("--contexts must be") && output.contains("Usage:"), "\(output)")
    }
}
