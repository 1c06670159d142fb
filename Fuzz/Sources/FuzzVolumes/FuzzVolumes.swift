import Foundation
import FuzzSupport
import Volumes

// Volume files come from users: `multiverseg import` and the app's upload (`POST .../volumes`),
// read by libnifti2 and DCMTK, which take a path. Each input is written to a file of this
// process (a DICOM file when it has the DICM marker, else .nii.gz when gzip, else .nii) and read
// under a 64 MiB limit. Invariant: the reader throws its typed error or gives a volume whose
// voxels fill its dims; nothing crashes, nothing allocates beyond the limit.

private let limits = VolumeLimits(maxBytes: 64 << 20)
private let folder: String = {
    let path = NSTemporaryDirectory() + "/fuzz-volumes-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVolumes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Data(bytes: $0, count: size) } ?? Data()
    let isDICOM = bytes.count >= 132 && bytes[128..<132].elementsEqual("DICM".utf8)
    let isGzip = bytes.starts(with: [0x1f, 0x8b])
    let path = folder + (isDICOM ? "/input.dcm" : isGzip ? "/input.nii.gz" : "/input.nii")
    guard FileManager.default.createFile(atPath: path, contents: bytes) else { return 0 }
    defer { unlink(path) }
    if isDICOM {
        if let series = try? DICOM.readSeries([path], limits: limits) {
            for (volume, _, _) in series {
                expect(volume.dims.count == 3 && volume.dims.allSatisfy { $0 >= 1 })
                expect(volume.voxels.count == volume.dims.reduce(1, *), "DICOM voxels do not fill the volume's dims")
            }
        }
    } else if let volume = try? NIfTI.read(path, limits: limits) {
        expect(volume.dims.count == 3 && volume.dims.allSatisfy { $0 >= 1 })
        expect(volume.voxels.count == volume.dims.reduce(1, *), "NIfTI voxels do not fill the volume's dims")
        expect(volume.voxels.count * 4 <= limits.maxBytes, "more voxels than the limit allows")
        let mapping = volume.intensityMapping()
        expect(mapping.scale > 0 && mapping.scale.isFinite && mapping.offset.isFinite, "an unusable intensity mapping")
    }
    return 0
}
