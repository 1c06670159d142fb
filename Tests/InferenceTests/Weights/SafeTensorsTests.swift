import Foundation
import Testing
import TestSupport
@testable import Inference

/// Builds a raw safetensors file from header text and buffer bytes, so tests can write any header,
/// valid or not. `declaredLength` overrides the 8-byte length prefix.
func rawSafeTensors(_ header: String, buffer: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    var bytes: [UInt8] = []
    withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { bytes.append(contentsOf: $0) }
    return bytes + headerBytes + buffer
}

func float32Bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
}

@Suite struct SafeTensorsTests {
    @Test func readsHandWrittenFile() throws {
        // Two F32 tensors back to back: a = [[1, 2], [3, 4]] and b = [-0.5].
        let header = #"{"__metadata__":{"arch":"multiverseg"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}"#
        let weights = try SafeTensors.decode(rawSafeTensors(header, buffer: float32Bytes([1, 2, 3, 4, -0.5])))
        #expect(weights.metadata == ["arch": "multiverseg"])
        #expect(weights.tensors["a"] == Tensor(shape: [2, 2], values: [1, 2, 3, 4]))
        #expect(weights.tensors["b"] == Tensor(shape: [1], values: [-0.5]))
        #expect(weights.parameterCount == 5)
    }

    @Test func acceptsScalarsEmptyTensorsAndPaddedHeader() throws {
        // A scalar (shape []) has one element; a [0, 3] tensor has none and may sit anywhere.
        let header = #"{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]}}    "#
        let weights = try SafeTensors.decode(rawSafeTensors(header, buffer: float32Bytes([7])))
        #expect(weights.tensors["s"] == Tensor(shape: [], values: [7]))
        #expect(weights.tensors["e"] == Tensor(shape: [0, 3], values: []))
        #expect(weights.metadata.isEmpty)
    }

    @Test func convertsHalfAndBFloat16() throws {
        // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, smallest subnormal 0x0001 = 2^-24.
        // BF16: 1.0 = 0x3F80, -0.15625 = 0xBE20.
        let f16: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001]
        let bf16: [UInt16] = [0x3F80, 0xBE20]
        let buffer = (f16 + bf16).flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        let header = #"{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]}}"#
        let weights = try SafeTensors.decode(rawSafeTensors(header, buffer: buffer))
        #expect(weights.tensors["h"]?.values == [1, -2, 65504, 0x1p-24])
        #expect(weights.tensors["b"]?.values == [1, -0.15625])
    }

    @Test func halfPrecisionSpecialValues() {
        #expect(HalfPrecision.float(fromFloat16Bits: 0x0000) == 0)
        #expect(HalfPrecision.float(fromFloat16Bits: 0x8000).sign == .minus)
        #expect(HalfPrecision.float(fromFloat16Bits: 0x7C00) == .infinity)
        #expect(HalfPrecision.float(fromFloat16Bits: 0xFC00) == -.infinity)
        #expect(HalfPrecision.float(fromFloat16Bits: 0x7E00).isNaN)
        #expect(HalfPrecision.float(fromFloat16Bits: 0x03FF) == 1023 * 0x1p-24)  // largest subnormal
        #expect(HalfPrecision.float(fromFloat16Bits: 0x0400) == 0x1p-14)         // smallest normal
        #expect(HalfPrecision.float(fromFloat16Bits: 0x3555) == Float(0x155 | 0x400) * 0x1p-10 * 0x1p-2)
    }

    @Test func roundTripIsExactAndDeterministic() throws {
        var tensors: [String: Tensor] = [:]
        tensors["enc_blocks.0.cross.cross_conv.weight"] = Tensor(shape: [2, 7, 3, 3], values: (0..<126).map { Float($0) * 0.25 - 3 })
        tensors["out_conv.conv.bias"] = Tensor(shape: [1], values: [.pi])
        tensors["odd \"name\"\n"] = Tensor(shape: [3], values: [-.infinity, .leastNonzeroMagnitude, -0.0])
        let metadata = ["format": "multiverseg-weights", "format_version": "1", "note": "ünïcode ✓ \"quoted\""]
        let weights = WeightsFile(metadata: metadata, tensors: tensors)
        let bytes = try SafeTensors.encode(weights)
        let again = try SafeTensors.decode(bytes)
        #expect(again.metadata == metadata)
        #expect(again.tensors == tensors)
        // Same input, same bytes; the buffer starts 8-byte aligned.
        #expect(try SafeTensors.encode(again) == bytes)
        let header = try bytes.withUnsafeBytes { try SafeTensors.parseHeader($0) }
        #expect(header.bufferOffset % 8 == 0)
        #expect(header.entries.map(\.name) == tensors.keys.sorted())
    }

    @Test func writesAndReadsFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("w.safetensors")
        let weights = WeightsFile(metadata: ["arch": "scribbleprompt-unet"], tensors: ["x": Tensor(shape: [2], values: [1, 2])])
        try SafeTensors.write(weights, to: path)
        let again = try SafeTensors.read(contentsOf: path)
        #expect(again.tensors == weights.tensors)
        #expect(again.metadata == weights.metadata)
        // The loader checks the format; our files carry it.
        #expect(throws: WeightsMetadataError.missingKey("format")) { try WeightsFile.load(contentsOf: path) }
        var ours = weights
        ours.metadata["format"] = "multiverseg-weights"
        ours.metadata["format_version"] = "1"
        try SafeTensors.write(ours, to: path)
        #expect(try WeightsFile.load(contentsOf: path).tensors == weights.tensors)
        let (header, contents) = try SafeTensors.readWithHeader(contentsOf: path)
        #expect(header.entries.map(\.dtype) == [.float32] && contents.metadata == ours.metadata)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["w.safetensors"])
    }

    @Test func writerRefusesReservedName() {
        let weights = WeightsFile(tensors: ["__metadata__": Tensor(shape: [1], values: [0])])
        #expect(throws: SafeTensorsError.reservedTensorName(name: "__metadata__")) { try SafeTensors.encode(weights) }
    }

    @Test func fileErrorsAreTyped() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(throws: WeightsIOError.self) { try SafeTensors.read(contentsOf: directory.file("missing.safetensors")) }
        #expect(throws: WeightsIOError.notARegularFile(path: directory.path)) { try SafeTensors.read(contentsOf: directory.path) }
        let path = directory.file("big.safetensors")
        try SafeTensors.write(WeightsFile(tensors: ["x": Tensor(shape: [4], values: [1, 2, 3, 4])]), to: path)
        var limits = SafeTensors.Limits()
        limits.maxFileBytes = 16
        #expect(throws: WeightsIOError.self) { try SafeTensors.read(contentsOf: path, limits: limits) }
    }
}
