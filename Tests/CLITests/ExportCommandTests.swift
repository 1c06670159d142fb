import Foundation
import Imaging
import ProjectStore
import TestSupport
import Testing

/// `multiverseg export` writes its output all at once (what Tests/Hardening/crash_test.py checks
/// with SIGKILL): before, a killed folder export left a partial folder that looked complete.
@Suite struct ExportCommandTests {
    /// A projects folder with the demo images, every one with an accepted mask.
    func projectWithMasks(_ directory: TemporaryDirectory) throws -> (projects: String, count: Int) {
        let projects = directory.file("Projects")
        try FileManager.default.createDirectory(atPath: projects, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ServeCommandTests.repositoryRoot + "/Projects/fetal-head-demo",
                                         toPath: projects + "/demo")
        let project = try ProjectLibrary(root: projects).project("demo")
        for (index, image) in project.imageIDs().enumerated() {
            let header = try project.imageHeader(image)
            let mask = BinaryMask(width: header.width, height: header.height,
                                  pixels: (0..<(header.width * header.height)).map { $0 % (index + 2) == 0 })
            try project.accept(label: "head", image: image, mask: mask, annotator: "t", interactions: 1)
        }
        return (projects, project.imageIDs().count)
    }

    func export(_ projects: String, to output: String, zip: Bool = false) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServeCommandTests.binary)
        process.arguments = ["export", "--projects", projects, "--project", "demo", "--label", "head", "-o", output]
            + (zip ? ["--zip"] : [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func aKilledExportLeavesNothingOrEverything() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (projects, count) = try projectWithMasks(directory)
        for attempt in 0..<16 {
            let output = directory.file("out\(attempt)") + (attempt % 2 == 0 ? "" : ".zip")
            let process = try export(projects, to: output, zip: attempt % 2 == 1)
            // Kill it somewhere between start-up and the end of its writes.
            usleep(UInt32(attempt * 2500))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Killed too early, nothing is there; too late, everything is. Never a part.
            guard FileSystem.exists(output) else { continue }
            if attempt % 2 == 0 {
                let names = try FileManager.default.contentsOfDirectory(atPath: output)
                #expect(names.count == count, "a killed export left \(names.count) of \(count) masks")
            } else {
                #expect(try FileSystem.read(output).count > 22, "a killed zip export left a stub")
            }
        }
    }

    @Test func refusesToReplaceAFolderWithOtherFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (projects, count) = try projectWithMasks(directory)
        let output = directory.file("masks")
        for _ in 0..<2 {
            let process = try export(projects, to: output)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: output).count == count)
        }
        try "keep me".write(toFile: output + "/notes.txt", atomically: true, encoding: .utf8)
        let refused = try export(projects, to: output)
        refused.waitUntilExit()
        #expect(refused.terminationStatus != 0)
        #expect(FileSystem.exists(output + "/notes.txt"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".") }.isEmpty)
    }
}
