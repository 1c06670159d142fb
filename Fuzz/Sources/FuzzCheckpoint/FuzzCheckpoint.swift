import Foundation
import FuzzSupport
import Inference
import ZIP

// `multiverseg weights import` reads a PyTorch checkpoint: a ZIP archive (stored or deflated
// entries), a pickle program run on a restricted machine, and raw tensor storages.
// The first input byte picks the layer to aim at, so that checksums do not hide the inner
// parsers from the fuzzer:
//   0: the whole input is the checkpoint file;
//   1: the rest is `archive/data.pkl`, wrapped (with valid CRCs) in an archive that also holds
//      small storages `archive/data/0` ... `archive/data/3`;
//   2: the rest is a ZIP archive whose every entry is read (and inflated).
// The total-size limit is lowered from 8 GiB so the fuzzer's memory cap only flags allocations
// that the limits fail to stop.

private let options: PyTorchCheckpoint.Options = {
    var options = PyTorchCheckpoint.Options()
    options.maxTotalBytes = 64 << 20
    return options
}()

/// Storages of 64 bytes: 16 floats, 32 halves or 8 int64s, whatever the pickle claims.
private let storages: [(String, [UInt8])] = (0..<4).map { key in
    ("archive/data/\(key)", (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ key) })
}

private func wrapPickle(_ pickle: [UInt8]) -> [UInt8] {
    var writer = ZipWriter()
    try! writer.add(name: "archive/data.pkl", bytes: pickle)
    try! writer.add(name: "archive/byteorder", bytes: Array("little".utf8))
    for (name, bytes) in storages { try! writer.add(name: name, bytes: bytes) }
    return writer.finish()
}

private func importCheckpoint(_ bytes: [UInt8]) {
    guard let weights = try? PyTorchCheckpoint.decode(bytes, options: options) else { return }
    for tensor in weights.tensors.values {
        expect(tensor.shape.reduce(1, *) == tensor.values.count, "tensor shape does not match its values")
    }
    // The importer's output is written as safetensors: that must read back unchanged.
    if let encoded = try? SafeTensors.encode(weights) {
        let again = try? SafeTensors.decode(encoded)
        expect(sameContents(again, weights), "imported weights do not survive safetensors")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 3 {
    case 0:
        importCheckpoint(rest)
    case 1:
        importCheckpoint(wrapPickle(rest))
    default:
        guard let archive = try? ZipArchive(rest) else { return 0 }
        for entry in archive.entries {
            if let contents = try? archive.contents(of: entry) {
                expect(UInt64(contents.count) == entry.uncompressedSize, "inflated size differs from the directory's")
            }
        }
    }
    return 0
}
