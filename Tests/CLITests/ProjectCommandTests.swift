import Foundation
import Imaging
import ProjectStore
import TestSupport
import Testing

@Suite struct ProjectCommandTests {
    @Test func importThenExportTheAcceptedMasks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let projects = directory.file("Projects")
        try FileManager.default.createDirectory(atPath: projects, withIntermediateDirectories: true)
        let images = directory.file("incoming")
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        let demo = ServeCommandTests.repositoryRoot + "/Projects/fetal-head-demo/images"
        for name in try FileManager.default.contentsOfDirectory(atPath: demo).sorted().prefix(3) {
            try FileManager.default.copyItem(atPath: demo + "/" + name, toPath: images + "/" + name)
        }
        try "not an image".write(toFile: images + "/notes.txt", atomically: true, encoding: .utf8)

        let imported = try BuiltTool.run(["import", images, "--create", "Heads", "--label", "head", "--projects", projects])
        #expect(imported.status == 0, "\(imported.output)")
        #expect(imported.output.contains("imported 3 image(s) into project 'heads'"))
        #expect(imported.output.contains("skipped notes.txt"))

        let project = try ProjectLibrary(root: projects).project("heads")
        let first = try #require(project.imageIDs().first)
        let header = try project.imageHeader(first)
        let mask = BinaryMask(width: header.width, height: header.height,
                              pixels: (0..<(header.width * header.height)).map { $0 % 7 == 0 })
        try project.accept(label: "head", image: first, mask: mask, annotator: "test", interactions: 2)

        let out = directory.file("masks")
        let exported = try BuiltTool.run(["export", "--project", "heads", "--label", "head", "-o", out, "--projects", projects])
        #expect(exported.status == 0 && exported.output.contains("wrote 1 mask(s)"))
        #expect(try BinaryMask(png: FileSystem.read(out + "/\(first).png")) == mask)

        let unknown = try BuiltTool.run(["export", "--project", "nope", "--label", "head", "-o", out, "--projects", projects])
        #expect(unknown.status != 0 && unknown.output.contains("no project 'nope'"))
    }
}
