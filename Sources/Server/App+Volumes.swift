import Foundation
import MicroHTTP
import ProjectStore
import Volumes
import ZIP

// Volumes in the app: uploading a NIfTI file or a zip of DICOM files (the same import as
// `multiverseg import`), a label's intensity window, where a slice sits in its volume, and label
// volumes to download.

extension App {
    /// Limits on an uploaded zip of DICOM files: a few bytes of DEFLATE can claim gigabytes.
    static let maxZipEntries = 5000
    static let maxZipInflatedBytes = 2 << 30

    struct VolumeSummary: Encodable {
        let id: String
        let source: String
        let format: String
        let modality: String?
        let plane: String
        let dims: [Int]
        let slices: Int
        let note: String?
    }

    struct WindowState: Encodable {
        struct Preset: Encodable {
            let preset: String
            let center: Double?
            let width: Double?
        }
        let window: LabelWindow?
        let presets: [Preset]
    }

    /// Where an image sits in its volume and the label's window for it, in the volume's units and
    /// in the stored 16-bit values the page draws from (`stored = (value - offset) / scale`).
    struct SliceInfo: Encodable {
        struct VolumePosition: Encodable {
            let id: String
            let source: String
            let modality: String?
            let plane: String
            /// 0-based position among the imported slices, and how many there are.
            let position: Int
            let count: Int
            /// The slice's index in the source volume along the cut axis, and that axis' length.
            let index: Int
            let depth: Int
            let previous: String?
            let next: String?
        }
        struct AppliedWindow: Encodable {
            let preset: String
            let center: Double
            let width: Double
            let storedCenter: Double
            let storedWidth: Double
        }
        let volume: VolumePosition?
        let window: LabelWindow?
        /// nil when the image is no volume slice, no window is set, or it cannot be resolved.
        let applied: AppliedWindow?
    }

    func addVolumeRoutes(to router: inout Router) {
        router.add("GET", "/api/projects/:project/volumes") { [self] _, p in
            let project = try open(p)
            struct List: Encodable { let volumes: [VolumeSummary] }
            return .json(List(volumes: project.volumeIndex().volumes.map(Self.summary)))
        }
        router.add("POST", "/api/projects/:project/volumes") { [self] request, p in
            let project = try open(p)
            let sidecars = try importUpload(request, into: project)
            for label in try store({ try project.labels() }) {
                predictions.announceContextChange(project: project, label: label)
            }
            struct Imported: Encodable { let volumes: [VolumeSummary]; let images: Int }
            return .json(Imported(volumes: sidecars.map(Self.summary), images: sidecars.map(\.slices.count).reduce(0, +)), status: 201)
        }
        router.add("GET", "/api/projects/:project/volumes/:volume/labels/:file") { [self] request, p in
            let project = try open(p)
            let volume = p["volume"] ?? ""
            guard let file = p["file"], file.hasSuffix(".nii.gz") else {
                throw HTTPError.notFound("ask for <label>.nii.gz, or all.nii.gz for every label as values 1...n")
            }
            let name = String(file.dropLast(7))
            let labels = try store { try project.labels() }
            let label: String? = name == "all" && !labels.contains("all") ? nil : name
            if let label, !labels.contains(label) { throw HTTPError.notFound("no label '\(label)' in project '\(project.id)'") }
            let (bytes, labeled) = try exporting { try VolumeExport.labelFile(project, volume: volume, label: label) }
            guard labeled > 0 else {
                throw HTTPError.notFound("nothing to export: no slice of volume '\(volume)' has an accepted mask\(label.map { " of '\($0)'" } ?? "") yet; accept one first")
            }
            return HTTPResponse(status: 200, headers: [
                ("Content-Type", "application/gzip"),
                ("Content-Disposition", "attachment; filename=\"\(volume)_\(label ?? "labels").nii.gz\""),
            ], body: .bytes(bytes))
        }
        let base = "/api/projects/:project/labels/:label"
        router.add("GET", base + "/window") { [self] _, p in
            let (project, label) = try openLabel(p)
            return .json(try windowState(project, label: label))
        }
        router.add("PUT", base + "/window") { [self] request, p in
            let (project, label) = try openLabel(p)
            struct Body: Decodable { let preset: String?; let center: Double?; let width: Double? }
            let body: Body = try request.decodeJSON()
            let window: LabelWindow?
            switch body.preset {
            case nil, "none": window = nil
            case "custom":
                guard let center = body.center, let width = body.width else {
                    throw HTTPError.badRequest("a custom window needs center and width (in the volume's units, e.g. HU)")
                }
                window = try store { try LabelWindow(center: center, width: width) }
            case let name?:
                guard let preset = LabelWindow.Preset(rawValue: name) else {
                    let names = LabelWindow.Preset.allCases.map(\.rawValue).joined(separator: ", ")
                    throw HTTPError.badRequest("preset must be one of \(names) or none, not '\(name.prefix(40))'")
                }
                window = LabelWindow(preset: preset)
            }
            try store { try project.setWindow(label: label, window: window) }
            // Every page on the label predicts through the new window from now on.
            predictions.announceContextChange(project: project, label: label)
            return .json(try windowState(project, label: label))
        }
        router.add("GET", base + "/images/:image/slice") { [self] _, p in
            let (project, label) = try openLabel(p)
            let image = p["image"] ?? ""
            _ = try store { try project.imageHeader(image) }
            let window = try store { try project.context(label: label).window }
            guard let (sidecar, position) = project.volumeIndex().slice(of: image) else {
                return .json(SliceInfo(volume: nil, window: window, applied: nil))
            }
            let slices = sidecar.slices
            let volume = SliceInfo.VolumePosition(
                id: sidecar.id, source: sidecar.source, modality: sidecar.modality, plane: sidecar.plane,
                position: position, count: slices.count, index: slices[position].index, depth: sidecar.dims[sidecar.sliceAxis],
                previous: position > 0 ? slices[position - 1].image : nil,
                next: position + 1 < slices.count ? slices[position + 1].image : nil)
            let applied = Project.resolvedWindow(window, for: sidecar).map { resolved in
                SliceInfo.AppliedWindow(
                    preset: window!.preset.rawValue, center: resolved.center, width: resolved.width,
                    storedCenter: (resolved.center - sidecar.intensity.offset) / sidecar.intensity.scale,
                    storedWidth: resolved.width / sidecar.intensity.scale)
            }
            return .json(SliceInfo(volume: volume, window: window, applied: applied))
        }
    }

    static func summary(_ sidecar: VolumeSidecar) -> VolumeSummary {
        VolumeSummary(id: sidecar.id, source: sidecar.source, format: sidecar.format, modality: sidecar.modality,
                      plane: sidecar.plane, dims: sidecar.dims, slices: sidecar.slices.count, note: sidecar.note)
    }

    func windowState(_ project: Project, label: String) throws -> WindowState {
        let window = try store { try project.context(label: label).window }
        let presets = LabelWindow.Preset.allCases.map { preset in
            WindowState.Preset(preset: preset.rawValue, center: preset.fixed?.center, width: preset.fixed?.width)
        }
        return WindowState(window: window, presets: presets)
    }

    /// `POST /api/projects/<p>/volumes?name=ct.nii.gz[&plane=axial][&slices=every:4]`: the body is a
    /// `.nii` / `.nii.gz` file or a `.zip` of DICOM files (one volume per series).
    func importUpload(_ request: HTTPRequest, into project: Project) throws -> [VolumeSidecar] {
        guard let name = request.query["name"], !name.isEmpty, name.count <= 255 else {
            throw HTTPError.badRequest("give the file name as ?name=ct.nii.gz (a .nii, .nii.gz or a .zip of DICOM files)")
        }
        guard !request.body.isEmpty else { throw HTTPError.badRequest("the request body must be the volume file") }
        let plane: SlicePlane?
        switch request.query["plane"] ?? "" {
        case "", "auto": plane = nil
        case let text:
            guard let chosen = SlicePlane(rawValue: text) else {
                throw HTTPError.badRequest("plane must be axial, coronal, sagittal or auto, not '\(text.prefix(40))'")
            }
            plane = chosen
        }
        let selection: SliceSelection
        do {
            selection = try SliceSelection(parsing: request.query["slices"] ?? "all")
        } catch {
            throw HTTPError.badRequest(error.description)
        }
        let lower = name.lowercased()
        if VolumeImport.isVolumeFile(lower) {
            return try importing {
                try project.withScratchFiles([(name, request.body)]) { paths, _ in
                    [try VolumeImport.importNIfTI(paths[0], into: project, plane: plane, selection: selection, refusing4D: true)]
                }
            }
        }
        guard lower.hasSuffix(".zip") else {
            throw HTTPError(status: 415, message: "'\(name.prefix(64))' is not a volume: upload a .nii or .nii.gz file, or a .zip of a DICOM series' files")
        }
        let files = try dicomFiles(inZip: request.body, name: name)
        let source = VolumeSidecar.baseName(of: String(name.dropLast(4))) ?? "dicom"
        return try importing {
            try project.withScratchFiles(files) { paths, _ in
                try VolumeImport.importDICOM(paths, source: source, into: project, plane: plane, selection: selection)
            }
        }
    }

    /// The DICOM files of an uploaded zip (entries starting with "DICM" after the 128-byte
    /// preamble; folders, `__MACOSX` and other files are skipped), named by number so no entry
    /// name reaches the file system.
    func dicomFiles(inZip bytes: [UInt8], name: String) throws -> [(name: String, bytes: [UInt8])] {
        var archive: ZipArchive
        do {
            archive = try ZipArchive(bytes)
        } catch {
            throw HTTPError(status: 422, message: "'\(name.prefix(64))' is not a readable zip archive (\(error)); zip the DICOM files again")
        }
        guard archive.entries.count <= Self.maxZipEntries else {
            throw HTTPError(status: 413, message: "the zip holds \(archive.entries.count) entries, more than \(Self.maxZipEntries); upload one series at a time")
        }
        archive.maxInflatedEntryBytes = 256 << 20
        var files: [(String, [UInt8])] = []
        var total = 0
        for entry in archive.entries where !entry.name.hasSuffix("/") && !entry.name.hasPrefix("__MACOSX") {
            total += Int(clamping: entry.uncompressedSize)
            guard total <= Self.maxZipInflatedBytes else {
                throw HTTPError(status: 413, message: "the zip inflates to more than \(Self.maxZipInflatedBytes >> 20) MiB; upload one series at a time")
            }
            let data: ArraySlice<UInt8>
            do {
                data = try archive.contents(of: entry)
            } catch {
                throw HTTPError(status: 422, message: "zip entry '\(entry.name.prefix(64))' cannot be read (\(error)); zip the DICOM files again")
            }
            guard data.count >= 132, data[data.startIndex + 128..<data.startIndex + 132].elementsEqual("DICM".utf8) else { continue }
            files.append(("\(files.count).dcm", Array(data)))
        }
        guard !files.isEmpty else {
            throw HTTPError(status: 422, message: "'\(name.prefix(64))' holds no DICOM files (Part 10, with the DICM marker); zip the series' files themselves")
        }
        return files
    }

    /// Runs an import, turning the readers' errors (hostile or unsupported files) into 422s that
    /// say what to do, and a too-large volume into a 413.
    func importing<T>(_ body: () throws -> T) throws -> T {
        do {
            return try store(body)
        } catch let error as VolumeImportError {
            switch error {
            case .nifti(.tooLarge), .dicom(.tooLarge): throw HTTPError(status: 413, message: Self.redactingPaths(error.description))
            case .invalidSelection, .selectionOutOfRange: throw HTTPError.badRequest(error.description)
            default: throw HTTPError(status: 422, message: Self.redactingPaths(error.description))
            }
        } catch let error as NIfTIError {
            throw HTTPError(status: 422, message: Self.redactingPaths(error.description))
        } catch let error as DICOMError {
            throw HTTPError(status: 422, message: Self.redactingPaths(error.description))
        }
    }

    func exporting<T>(_ body: () throws -> T) throws -> T {
        do {
            return try store(body)
        } catch let error as VolumeExportError {
            throw HTTPError(status: 422, message: error.description)
        } catch let error as NIfTIError {
            throw HTTPError.internalError(Self.redactingPaths(error.description))
        }
    }
}
