/// Element types a weights tensor may be stored in; all are widened to Float on load.
public enum StoredScalarType: String, Sendable, CaseIterable {
    case float32 = "F32"
    case float16 = "F16"
    case bfloat16 = "BF16"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32: 4
        case .float16, .bfloat16: 2
        }
    }

    /// Converts `count` little-endian elements starting at byte `offset` of `bytes` to Float.
    /// The caller guarantees `offset + count * byteSize <= bytes.count`.
    func decode(_ bytes: UnsafeRawBufferPointer, offset: Int, count: Int, into out: inout [Float]) {
        precondition(offset >= 0 && count >= 0 && offset + count * byteSize <= bytes.count)
        out.reserveCapacity(out.count + count)
        switch self {
        case .float32:
            for i in 0..<count {
                let bits = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self))
                out.append(Float(bitPattern: bits))
            }
        case .float16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 2 * i, as: UInt16.self))
                out.append(HalfPrecision.float(fromFloat16Bits: bits))
            }
        case .bfloat16:
            for i in 0..<count {
                let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 2 * i, as: UInt16.self))
                out.append(HalfPrecision.float(fromBFloat16Bits: bits))
            }
        }
    }

    /// Reads one little-endian element at byte `offset` (caller checks bounds).
    @inline(__always)
    func element(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Float {
        switch self {
        case .float32:
            Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        case .float16:
            HalfPrecision.float(fromFloat16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        case .bfloat16:
            HalfPrecision.float(fromBFloat16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        }
    }
}
