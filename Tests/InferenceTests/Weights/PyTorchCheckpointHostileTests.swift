import ZIP
import Foundation
import Testing
@testable import Inference

/// Writes a ZIP archive of stored (uncompressed) entries, optionally with ZIP64 records, so tests
/// can build any checkpoint — valid or forged — without Python.
func storedZip(_ entries: [(name: String, data: [UInt8])], zip64: Bool = false) -> [UInt8] {
    var out: [UInt8] = []
    func u16(_ v: Int, _ to: inout [UInt8]) { to += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    func u32(_ v: UInt32, _ to: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { to += $0 } }
    func u64(_ v: UInt64, _ to: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { to += $0 } }
    var directory: [UInt8] = []
    for entry in entries {
        let offset = out.count
        let name = Array(entry.name.utf8)
        let crc = CRC32.checksum(entry.data)
        u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
        u32(crc, &out); u32(UInt32(entry.data.count), &out); u32(UInt32(entry.data.count), &out)
        u16(name.count, &out); u16(0, &out)
        out += name + entry.data

        u32(0x0201_4B50, &directory); u16(45, &directory); u16(45, &directory); u16(0, &directory); u16(0, &directory)
        u16(0, &directory); u16(0, &directory); u32(crc, &directory)
        let saturated: UInt32 = 0xFFFF_FFFF
        u32(zip64 ? saturated : UInt32(entry.data.count), &directory)
        u32(zip64 ? saturated : UInt32(entry.data.count), &directory)
        u16(name.count, &directory); u16(zip64 ? 28 : 0, &directory); u16(0, &directory)
        u16(0, &directory); u16(0, &directory); u32(0, &directory)
        u32(zip64 ? saturated : UInt32(offset), &directory)
        directory += name
        if zip64 {
            u16(1, &directory); u16(24, &directory)
            u64(UInt64(entry.data.count), &directory); u64(UInt64(entry.data.count), &directory); u64(UInt64(offset), &directory)
        }
    }
    let directoryOffset = out.count
    out += directory
    if zip64 {
        let record = out.count
        u32(0x0606_4B50, &out); u64(44, &out); u16(45, &out); u16(45, &out); u32(0, &out); u32(0, &out)
        u64(UInt64(entries.count), &out); u64(UInt64(entries.count), &out)
        u64(UInt64(directory.count), &out); u64(UInt64(directoryOffset), &out)
        u32(0x0706_4B50, &out); u32(0, &out); u64(UInt64(record), &out); u32(1, &out)
    }
    u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out)
    u16(zip64 ? 0xFFFF : entries.count, &out); u16(zip64 ? 0xFFFF : entries.count, &out)
    u32(zip64 ? 0xFFFF_FFFF : UInt32(directory.count), &out); u32(zip64 ? 0xFFFF_FFFF : UInt32(directoryOffset), &out)
    u16(0, &out)
    return out
}

/// Emits protocol-2 pickle opcodes.
struct PickleWriter {
    var bytes: [UInt8] = [0x80, 2]
    mutating func op(_ c: Character) { bytes.append(c.asciiValue!) }
    mutating func op(_ b: UInt8) { bytes.append(b) }
    mutating func global(_ module: String, _ name: String) {
        op("c"); bytes += Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A]
    }
    mutating func string(_ s: String) {
        op("X"); withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian) { bytes += $0 }; bytes += Array(s.utf8)
    }
    mutating func int(_ v: Int32) { op("J"); withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    /// LONG1 with 8 bytes: any Int64.
    mutating func long(_ v: Int64) { op(0x8A); op(8); withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func intTuple(_ values: [Int64]) {
        op("(")
        for v in values { if let small = Int32(exactly: v) { int(small) } else { long(v) } }
        op("t")
    }
    /// `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`
    mutating func tensor(key: String, numel: Int32, offset: Int32, shape: [Int64], stride: [Int64], type: String = "FloatStorage") {
        global("torch._utils", "_rebuild_tensor_v2")
        op("("); op("(")
        string("storage"); global("torch", type); string(key); string("cpu"); int(numel)
        op("t"); op("Q")
        int(offset); intTuple(shape); intTuple(stride); op(0x89)
        global("collections", "OrderedDict"); op(")"); op("R")
        op("t"); op("R")
    }
    mutating func stop() { op(".") }
}

/// A one-tensor checkpoint {"w": view} over a float32 storage holding `storage`.
func checkpoint(
    storage: [Float], numel: Int32? = nil, offset: Int32 = 0, shape: [Int64], stride: [Int64],
    byteorder: String = "little", prefix: String = "archive"
) -> [UInt8] {
    var p = PickleWriter()
    p.op("}"); p.string("w")
    p.tensor(key: "0", numel: numel ?? Int32(storage.count), offset: offset, shape: shape, stride: stride)
    p.op("s"); p.stop()
    return storedZip([
        ("\(prefix)/data.pkl", p.bytes),
        ("\(prefix)/byteorder", Array(byteorder.utf8)),
        ("\(prefix)/data/0", float32Bytes(storage)),
        ("\(prefix)/version", Array("3\n".utf8)),
    ])
}

/// Forged checkpoints and pickles: each must end in its own error, never a crash.
@Suite struct PyTorchCheckpointHostileTests {
    @Test func handBuiltCheckpointAndZip64() throws {
        // 2x3 view with stride (1, 2) over [0, 1, 2, 3, 4, 5] is [[0, 2, 4], [1, 3, 5]].
        for zip64 in [false, true] {
            var p = PickleWriter()
            p.op("}"); p.string("w"); p.tensor(key: "0", numel: 6, offset: 0, shape: [2, 3], stride: [1, 2]); p.op("s"); p.stop()
            let bytes = storedZip([("ckpt/data.pkl", p.bytes), ("ckpt/data/0", float32Bytes([0, 1, 2, 3, 4, 5]))], zip64: zip64)
            let tensors = try PyTorchCheckpoint.stateDict(bytes)
            #expect(tensors["w"] == Tensor(shape: [2, 3], values: [0, 2, 4, 1, 3, 5]), "zip64: \(zip64)")
        }
    }

    @Test func tensorViewsOutsideTheirStorage() throws {
        #expect(throws: PyTorchCheckpointError.tensorOutsideStorage(tensor: "w")) {
            try PyTorchCheckpoint.stateDict(checkpoint(storage: [1, 2, 3, 4], offset: 1, shape: [4], stride: [1]))
        }
        #expect(throws: PyTorchCheckpointError.tensorOutsideStorage(tensor: "w")) {
            try PyTorchCheckpoint.stateDict(checkpoint(storage: [1, 2, 3, 4], shape: [2, 2], stride: [3, 1]))
        }
        #expect(throws: PyTorchCheckpointError.sizeOverflow(tensor: "w")) {
            try PyTorchCheckpoint.stateDict(checkpoint(storage: [1], shape: [Int64(Int32.max), Int64(Int32.max), Int64(Int32.max)], stride: [1, 1, 1]))
        }
        // A stride-0 view of one float may not ask for a huge copy.
        #expect(throws: PyTorchCheckpointError.totalSizeTooLarge(bytes: 8_000_000_000_000, limit: 8 << 30)) {
            try PyTorchCheckpoint.stateDict(checkpoint(storage: [1], shape: [2_000_000_000, 1000], stride: [0, 0]))
        }
        // A size-1 axis may carry any stride (PyTorch writes such strides); it must not overflow.
        #expect(try PyTorchCheckpoint.stateDict(checkpoint(storage: [1, 2, 3], shape: [1, 3, 1], stride: [Int64.max, 1, Int64.max]))["w"]
            == Tensor(shape: [1, 3, 1], values: [1, 2, 3]))
        #expect(try PyTorchCheckpoint.stateDict(checkpoint(storage: [1, 2, 3, 4], shape: [2, 1], stride: [2, Int64.max]))["w"]
            == Tensor(shape: [2, 1], values: [1, 3]))
        #expect(throws: PyTorchCheckpointError.storageSizeMismatch(key: "0", expectedBytes: 40, actualBytes: 16)) {
            try PyTorchCheckpoint.stateDict(checkpoint(storage: [1, 2, 3, 4], numel: 10, shape: [4], stride: [1]))
        }
        #expect(throws: PyTorchCheckpointError.pickle(.invalidCall(callable: "torch._utils._rebuild_tensor_v2", reason: "size holds an int"))) {
            try PyTorchCheckpoint.stateDict(checkpoint(storage: [1, 2, 3, 4], shape: [-1], stride: [1]))
        }
    }

    @Test func archiveStructureErrors() {
        #expect(throws: PyTorchCheckpointError.bigEndian(found: "big")) {
            try PyTorchCheckpoint.stateDict(checkpoint(storage: [1], shape: [1], stride: [1], byteorder: "big"))
        }
        var p = PickleWriter()
        p.op("}"); p.string("w"); p.tensor(key: "7", numel: 1, offset: 0, shape: [1], stride: [1]); p.op("s"); p.stop()
        #expect(throws: PyTorchCheckpointError.missingStorage(key: "7")) {
            try PyTorchCheckpoint.stateDict(storedZip([("a/data.pkl", p.bytes)]))
        }
        #expect(throws: PyTorchCheckpointError.noDataPickle) {
            try PyTorchCheckpoint.stateDict(storedZip([("data.pkl", p.bytes), ("a/b/data.pkl", p.bytes)]))
        }
        #expect(throws: PyTorchCheckpointError.severalDataPickles(names: ["a/data.pkl", "b/data.pkl"])) {
            try PyTorchCheckpoint.stateDict(storedZip([("b/data.pkl", p.bytes), ("a/data.pkl", p.bytes)]))
        }
        #expect(throws: PyTorchCheckpointError.archive(.duplicateEntry(name: "a/data.pkl"))) {
            try PyTorchCheckpoint.stateDict(storedZip([("a/data.pkl", p.bytes), ("a/data.pkl", p.bytes)]))
        }
        #expect(throws: PyTorchCheckpointError.archive(.notAZipArchive)) {
            try PyTorchCheckpoint.stateDict(Array("not a zip file at all, just text".utf8))
        }
        // A flipped data byte is caught by the CRC.
        var corrupt = checkpoint(storage: [1, 2, 3, 4], shape: [4], stride: [1])
        let dataStart = corrupt.count - 200
        let index = corrupt[..<dataStart].lastIndex(of: 0x40)!  // a byte of 2.0 (0x40000000)
        corrupt[index] ^= 0x01
        #expect(throws: PyTorchCheckpointError.archive(.checksumMismatch(entry: "archive/data/0"))) {
            try PyTorchCheckpoint.stateDict(corrupt)
        }
    }

    @Test func notAStateDict() {
        func run(_ build: (inout PickleWriter) -> Void) throws(PyTorchCheckpointError) -> [String: Tensor] {
            var p = PickleWriter()
            build(&p)
            p.stop()
            return try PyTorchCheckpoint.stateDict(storedZip([("a/data.pkl", p.bytes)]))
        }
        #expect(throws: PyTorchCheckpointError.notAStateDict(found: "a list")) { try run { $0.op("]") } }
        #expect(throws: PyTorchCheckpointError.emptyStateDict) { try run { $0.op("}") } }
        #expect(throws: PyTorchCheckpointError.nonTensorEntry(name: "epoch", found: "an int")) {
            try run { $0.op("}"); $0.string("epoch"); $0.int(3); $0.op("s") }
        }
        #expect(throws: PyTorchCheckpointError.nonStringKey) { try run { $0.op("}"); $0.int(1); $0.int(3); $0.op("s") } }
    }

    private func unpickle(_ body: [UInt8]) throws(PickleError) -> PickleValue {
        var machine = RestrictedUnpickler([0x80, 2] + body)
        return try machine.run()
    }

    @Test func pickleMachineRefusals() {
        #expect(throws: PickleError.forbiddenGlobal(module: "os", name: "system")) { try unpickle(Array("cos\nsystem\n".utf8)) }
        #expect(throws: PickleError.forbiddenGlobal(module: "torch", name: "load")) { try unpickle(Array("ctorch\nload\n".utf8)) }
        #expect(throws: PickleError.unsupportedOpcode(opcode: 0x81, offset: 2)) { try unpickle([0x81]) }      // NEWOBJ
        #expect(throws: PickleError.unsupportedOpcode(opcode: UInt8(ascii: "i"), offset: 2)) { try unpickle(Array("ios\nsystem\n".utf8)) }  // INST
        #expect(throws: PickleError.truncated(offset: 3)) { try unpickle([UInt8(ascii: "N")]) }
        #expect(throws: PickleError.truncated(offset: 7)) { try unpickle([UInt8(ascii: "X"), 0xFF, 0xFF, 0xFF, 0x7F]) }
        #expect(throws: PickleError.stackUnderflow(opcode: "REDUCE", offset: 2)) { try unpickle([UInt8(ascii: "R")]) }
        #expect(throws: PickleError.missingMark(opcode: "TUPLE", offset: 2)) { try unpickle([UInt8(ascii: "t")]) }
        #expect(throws: PickleError.unknownMemoKey(key: 9, offset: 2)) { try unpickle([UInt8(ascii: "h"), 9]) }
        #expect(throws: PickleError.noResult) { try unpickle([UInt8(ascii: ".")]) }
        #expect(throws: PickleError.invalidString(offset: 2)) { try unpickle([0x8C, 1, 0xFF, UInt8(ascii: ".")]) }
        #expect(throws: PickleError.integerTooLarge(offset: 2)) { try unpickle([0x8A, 9] + .init(repeating: 1, count: 9)) }
        // Values below a mark cannot be popped.
        #expect(throws: PickleError.stackUnderflow(opcode: "TUPLE1", offset: 4)) {
            try unpickle([UInt8(ascii: "N"), UInt8(ascii: "("), 0x85])
        }
        // A persistent id that is not a storage tuple.
        #expect(throws: PickleError.unsupportedPersistentID(reason: "expected ('storage', type, key, location, numel)")) {
            try unpickle([UInt8(ascii: "N"), UInt8(ascii: "Q")])
        }
        // Calling a storage class directly.
        #expect(throws: PickleError.invalidCall(callable: "torch.FloatStorage", reason: "storages are only created by persistent ids")) {
            try unpickle(Array("ctorch\nFloatStorage\n)R.".utf8))
        }
    }

    @Test func pickleMachineSurvivesDeepAndCyclicStructures() throws {
        // 200,000 nested 1-tuples: values refer to each other through the arena, so nothing recurses.
        let deep = try unpickle([UInt8(ascii: "N")] + .init(repeating: 0x85, count: 200_000) + [UInt8(ascii: ".")])
        guard case .tuple = deep else { Issue.record("expected a tuple"); return }
        // A list that contains itself: ] q0 h0 a .
        let cyclic = try unpickle([UInt8(ascii: "]"), UInt8(ascii: "q"), 0, UInt8(ascii: "h"), 0, UInt8(ascii: "a"), UInt8(ascii: ".")])
        #expect(cyclic == .list(0))
        // LONG1 sign extension: 0xFF as one byte is -1; 8 bytes of 0xFF is -1 too.
        #expect(try unpickle([0x8A, 1, 0xFF, UInt8(ascii: ".")]) == .int(-1))
        #expect(try unpickle([0x8A, 8] + .init(repeating: 0xFF, count: 8) + [UInt8(ascii: ".")]) == .int(-1))
        #expect(try unpickle([0x8A, 2, 0x00, 0x80, UInt8(ascii: ".")]) == .int(-32768))
    }

    @Test func everyTruncationOfARealCheckpointFails() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath("importer/layouts.pt"))))
        var failures = 0
        for length in 0..<bytes.count {
            do {
                _ = try PyTorchCheckpoint.stateDict(Array(bytes[..<length]))
                Issue.record("prefix of \(length) bytes imported")
            } catch {
                failures += 1
            }
        }
        #expect(failures == bytes.count)
    }

    @Test func byteFlipsNeverCrash() throws {
        let real = Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath("importer/scribbleprompt_proto4.pt"))))
        let forged = checkpoint(storage: [1, 2, 3, 4, 5, 6], shape: [2, 3], stride: [3, 1])
        var generator = SplitMix64(seed: 0xC0FFEE)
        var refused = 0
        var rounds = 0
        for source in [real, forged] {
            for _ in 0..<1500 {
                var mutated = source
                for _ in 0..<(1 + Int(generator.next() % 3)) {
                    mutated[Int(generator.next() % UInt64(source.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
                rounds += 1
                do {
                    for tensor in try PyTorchCheckpoint.stateDict(mutated).values {
                        #expect(tensor.shape.reduce(1, *) == tensor.values.count)
                    }
                } catch {
                    refused += 1
                }
            }
        }
        print("PyTorch checkpoint byte flips: \(refused) of \(rounds) mutated files refused, the rest imported consistently")
        #expect(refused > 0)
    }
}
