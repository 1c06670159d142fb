import ArgumentParser
import Foundation
import PNGCodec
import ProjectStore
import Volumes

/// `multiverseg import DIR --project ID`: copies the PNG images of a folder, or the slices of NIfTI
/// volumes, into a project (creating it with `--create NAME --label L`).
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add the PNG images of a folder, or the slices of NIfTI volumes and DICOM series, to a project.",
        discussion: """
            Example: multiverseg import ~/scans --create "Liver CT" --label liver
                     multiverseg import ct.nii.gz --project liver-ct --plane axial --slices every:4
            DICOM files (recognised by content, any name) are stacked per series (SeriesInstanceUID), in order of
            position along the slice normal, rescale slope/intercept applied. Other files that are not PNG, .nii or
            .nii.gz are skipped and listed; convert them to PNG first (or upload
            them in the browser, which converts JPEG, BMP and the like). Each chosen slice of a volume becomes a
            16-bit PNG; volumes/<id>.json records the geometry and how stored values map to intensities.
            """)

    @Argument(help: "The folder of images (PNG, NIfTI, DICOM), or one .nii / .nii.gz / DICOM file.")
    var folder: String

    @Option(help: "Volumes: the plane to cut slices in: axial, coronal or sagittal (default: the plane each was acquired in).")
    var plane: String?

    @Option(help: "Volumes: which slices: all, every:K (every K-th from the first) or A-B (0-based, inclusive).")
    var slices: String = "all"

    @Option(help: "The id of an existing project to add to.")
    var project: String?

    @Option(help: "Create a new project with this name instead.")
    var create: String?

    @Option(name: .customLong("label"), help: "A label of the new project (repeat for several).")
    var labels: [String] = []

    @Option(help: "The folder of project folders (default: as for serve).")
    var projects: String?

    func run() throws {
        guard (project == nil) != (create == nil) else {
            throw ValidationError("give exactly one of --project ID or --create NAME")
        }
        let chosenPlane = try plane.map { text -> SlicePlane in
            guard let value = SlicePlane(rawValue: text) else {
                throw ValidationError("--plane must be axial, coronal or sagittal, not '\(text)'")
            }
            return value
        }
        let selection: SliceSelection
        do { selection = try SliceSelection(parsing: slices) } catch { throw ValidationError(error.description) }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else {
            throw ValidationError("\(folder) does not exist")
        }
        guard isFolder.boolValue || VolumeImport.isVolumeFile(folder) || DICOM.isDICOMFile(folder) else {
            throw ValidationError("\(folder) is neither a folder nor a .nii / .nii.gz / DICOM file")
        }
        let library = try ProjectLibrary(root: projects ?? Installation.current.defaultProjectsFolder())
        let target = try create.map { try library.createProject(name: $0, labels: labels) } ?? library.project(project!)
        let (names, base) = isFolder.boolValue
            ? (try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), folder)
            : ([(folder as NSString).lastPathComponent], (folder as NSString).deletingLastPathComponent)
        var imported = 0
        var failed: [String] = []
        var dicomFiles: [String] = []
        for name in names where !name.hasPrefix(".") {
            let path = (base as NSString).appendingPathComponent(name)
            // DICOM files often have no extension: recognised by content, stacked per series below.
            if DICOM.isDICOMFile(path) {
                dicomFiles.append(path)
                continue
            }
            if VolumeImport.isVolumeFile(name) {
                do {
                    let start = Date()
                    let volume = try VolumeImport.importNIfTI(path, into: target, plane: chosenPlane, selection: selection)
                    imported += volume.slices.count
                    print("\(name) -> volume '\(volume.id)': \(volume.slices.count) \(volume.plane) slice(s) of "
                          + "\(volume.dims.map(String.init).joined(separator: "x")), stored value v means "
                          + "\(volume.intensity.scale) * v + \(volume.intensity.offset)"
                          + (volume.intensity.lossless ? " (lossless)" : "")
                          + String(format: " in %.2f s", Date().timeIntervalSince(start)))
                    if let note = volume.note { print("  note: \(note)") }
                } catch {
                    print("skipped \(name): \(error)")
                    failed.append(name)
                }
                continue
            }
            guard name.lowercased().hasSuffix(".png") else {
                print("skipped \(name): not a PNG or NIfTI volume")
                continue
            }
            do {
                let id = try target.importImage(name: name, png: try PNGImage.readFile(path, maxBytes: PNGLimits.default.maxFileBytes))
                imported += 1
                if id != (name as NSString).deletingPathExtension { print("\(name) -> \(id)") }
            } catch {
                print("skipped \(name): \(error)")
                failed.append(name)
            }
        }
        if !dicomFiles.isEmpty {
            // Volumes are named after the folder (or the single file) they came from.
            let source = (folder as NSString).lastPathComponent
            do {
                let start = Date()
                for volume in try VolumeImport.importDICOM(dicomFiles, source: source, into: target, plane: chosenPlane, selection: selection) {
                    imported += volume.slices.count
                    print("DICOM series (\(volume.modality ?? "modality unknown")) -> volume '\(volume.id)': \(volume.slices.count) "
                          + "\(volume.plane) slice(s) of \(volume.dims.map(String.init).joined(separator: "x")), stored value v means "
                          + "\(volume.intensity.scale) * v + \(volume.intensity.offset)" + (volume.intensity.lossless ? " (lossless)" : ""))
                    if let note = volume.note { print("  note: \(note)") }
                }
                print(String(format: "read %d DICOM file(s) in %.2f s", dicomFiles.count, Date().timeIntervalSince(start)))
            } catch {
                print("skipped the DICOM files: \(error)")
                failed.append("the DICOM files (\(dicomFiles.count))")
            }
        }
        print("imported \(imported) image(s) into project '\(target.id)' (\(target.imageIDs().count) in all)")
        // A script must not mistake a partly failed import for a whole one.
        if !failed.isEmpty { throw CommandError.importIncomplete(imported: imported, failed: failed) }
    }
}

/// `multiverseg export --project ID --label L -o DIR`: the accepted masks as a PNG set, or with
/// `--format nifti` one label volume per imported volume.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a label's accepted masks as PNGs (0/255, original size, named as the images).",
        discussion: """
            --format nifti writes, for each volume imported from NIfTI, <volume>_<label>.nii.gz into the --output
            folder: uint8, 1 where an accepted mask covers the voxel, 0 elsewhere (slices without a mask too), with
            the source's dims, spacing, qform and sform, so it overlays the source in any viewer (volumes from
            DICOM series too: their geometry is derived from the series). With --multiclass (and no --label), one
            <volume>_labels.nii.gz per volume holds every label of the project as values 1...n in the project's
            label order (a later label wins where masks overlap).
            """)

    @Option(help: "png (the masks as images) or nifti (a label volume per imported volume).")
    var format: String = "png"

    @Option(help: "The project id.")
    var project: String

    @Option(help: "The label to export.")
    var label: String?

    @Flag(help: "Every label at once (no --label): as PNGs, one 8-bit PNG per image (0 background, k the k-th label; the later label wins where masks overlap) and manifest.json; with --format nifti, one volume per imported volume with values 1...n.")
    var multiclass = false

    @Option(name: [.short, .customLong("output")], help: "The folder to write the masks to (created, or replaced when it holds only PNGs; written all at once, so an interrupted export leaves none).")
    var output: String

    @Flag(help: "Write a zip archive to the --output path instead of a folder.")
    var zip = false

    @Flag(help: "Also write the proposals and drafts not reviewed yet, marked: under proposals/ in a zip (and in its manifest.json as reviewed: false), as <image>.proposal.png in a folder.")
    var includeProposals = false

    @Option(help: "The folder of project folders (default: as for serve).")
    var projects: String?

    func run() throws {
        let target = try ProjectLibrary(root: projects ?? Installation.current.defaultProjectsFolder()).project(project)
        if multiclass {
            guard label == nil else { throw ValidationError("--multiclass exports every label; leave out --label") }
            guard !includeProposals else { throw ValidationError("--include-proposals exports one label's proposals; leave it out with --multiclass") }
            if format == "nifti" {
                guard !zip else { throw ValidationError("--zip writes PNG masks; leave it out with --format nifti") }
                guard !target.volumeIDs().isEmpty else { throw CommandError.noVolumes(project: project) }
                let labels = try target.labels()
                for (file, labeled) in try VolumeExport.writeMulticlassVolumes(target, labels: labels, to: output) {
                    print("wrote \(output)/\(file) (values 1...\(labels.count): \(Swift.zip(labels, labeled).map { "\($0) \($1)" }.joined(separator: ", ")) labeled slice(s))")
                }
                return
            }
            guard format == "png" else { throw ValidationError("--format must be png or nifti, not '\(format)'") }
            try exportMulticlass(target)
            return
        }
        guard let label else { throw ValidationError("give --label L (or --multiclass for every label at once)") }
        if format == "nifti" {
            guard !zip else { throw ValidationError("--zip writes PNG masks; leave it out with --format nifti") }
            guard !includeProposals else { throw ValidationError("--include-proposals writes PNG masks; leave it out with --format nifti") }
            guard !target.volumeIDs().isEmpty else { throw CommandError.noVolumes(project: project) }
            for (file, labeled) in try VolumeExport.writeLabelVolumes(target, label: label, to: output) {
                print("wrote \(output)/\(file) (\(labeled) labeled slice(s))")
            }
            return
        }
        guard format == "png" else { throw ValidationError("--format must be png or nifti, not '\(format)'") }
        if zip {
            let bytes = try target.exportZip(label: label, includeProposals: includeProposals)
            try FileSystem.writeAtomically(bytes, to: output)
            print("wrote \(output) (\(bytes.count) bytes)")
        } else {
            let count: Int
            do {
                count = try target.exportMasks(label: label, to: output, includeProposals: includeProposals)
            } catch let error as FileSystemError where error.call == "replace" {
                throw CommandError.outputInUse(path: output)
            }
            print("wrote \(count) mask(s) to \(output)")
        }
    }

    private func exportMulticlass(_ target: Project) throws {
        if zip {
            let bytes = try target.exportMulticlassZip()
            try FileSystem.writeAtomically(bytes, to: output)
            print("wrote \(output) (\(bytes.count) bytes; the values of the labels are in its manifest.json)")
            return
        }
        do {
            let count = try target.exportMulticlass(to: output)
            print("wrote \(count) multi-class mask(s) and manifest.json to \(output)")
        } catch let error as FileSystemError where error.call == "replace" {
            throw CommandError.outputInUse(path: output)
        }
    }
}
