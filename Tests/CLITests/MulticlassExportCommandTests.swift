import Foundation
import Imaging
import PNGCodec
import ProjectStore
import TestSupport
import Testing

/// `multiverseg export --multiclass`: every label in one PNG per image, with its manifest.
@Suite struct MulticlassExportCommandTests {
    @Test func writesOnePNGPerLabeledImageAndTheManifest() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let library = try ProjectLibrary(root: directory.path)
        let project = try library.createProject(name: "Cells", labels: ["nucleus", "membrane"])
        let png = try PNGImage.encode(samples: [UInt16](repeating: 90, count: 6), width: 3, height: 2, colorType: .grey, bitDepth: 8)
        try project.importImage(name: "a.png", png: png)
        try project.importImage(name: "b.png", png: png)
        let empty = try BuiltTool.run(["export", "--projects", directory.path, "--project", "cells", "--multiclass",
                                       "-o", directory.file("none")])
        #expect(empty.status != 0 && empty.output.contains("nothing to export: no image has an accepted mask"), "\(empty.output)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("none")))
        try project.accept(label: "nucleus", image: "a", mask: BinaryMask(width: 3, height: 2, pixels: [true, true, false, false, false, false]),
                           annotator: "ana", interactions: 2)
        try project.accept(label: "membrane", image: "a", mask: BinaryMask(width: 3, height: 2, pixels: [false, true, true, false, false, false]),
                           annotator: "bo", interactions: 1)
        let folder = try BuiltTool.run(["export", "--projects", directory.path, "--project", "cells", "--multiclass",
                                        "-o", directory.file("out")])
        #expect(folder.status == 0 && folder.output.contains("wrote 1 multi-class mask(s) and manifest.json"), "\(folder.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("out")).sorted() == ["a.png", "manifest.json"])
        #expect(try PNGImage(contentsOfFile: directory.file("out/a.png")).samples == [1, 2, 2, 0, 0, 0])
        let zip = try BuiltTool.run(["export", "--projects", directory.path, "--project", "cells", "--multiclass", "--zip",
                                     "-o", directory.file("all.zip")])
        #expect(zip.status == 0 && FileManager.default.fileExists(atPath: directory.file("all.zip")), "\(zip.output)")
        let both = try BuiltTool.run(["export", "--projects", directory.path, "--project", "cells", "--multiclass",
                                      "--label", "nucleus", "-o", directory.file("x")])
        #expect(both.status != 0 && both.output.contains("leave out --label"), "\(both.output)")
        let neither = try BuiltTool.run(["export", "--projects", directory.path, "--project", "cells", "-o", directory.file("x")])
        #expect(neither.status != 0 && neither.output.contains("--multiclass"), "\(neither.output)")
    }
}
