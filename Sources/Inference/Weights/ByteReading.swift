// Little-endian reads from untrusted byte buffers. Every read is bounds-checked by the caller's
// `available` checks; these helpers only assemble bytes, so they never touch memory outside `bytes`.

extension UnsafeRawBufferPointer {
    /// The little-endian UInt16 at `offset`; nil when fewer than 2 bytes remain.
    @inline(__always)
    func littleEndianUInt16(at offset: Int) -> UInt16? {
        guard offset >= 0, offset <= count - 2 else { return nil }
        return UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    /// The little-endian UInt32 at `offset`; nil when fewer than 4 bytes remain.
    @inline(__always)
    func littleEndianUInt32(at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= count - 4 else { return nil }
        return UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// The little-endian UInt64 at `offset`; nil when fewer than 8 bytes remain.
    @inline(__always)
    func littleEndianUInt64(at offset: Int) -> UInt64? {
        guard offset >= 0, offset <= count - 8 else { return nil }
        return UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}

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

/// Bit-level conversions from the 16-bit float formats. Written out by hand because `Float16` is
/// unavailable on some platforms Swift targets (macOS on Intel).
public enum HalfPrecision {
    /// IEEE 754 binary16 -> Float, exact (every binary16 value is representable).
    ///
    /// ```swift
    /// HalfPrecision.float(fromFloat16Bits: 0x3C00) // 1.0
    /// ```
    public static func float(fromFloat16Bits bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits) & 0x3FF
        if exponent == 0 {
            // Zero or subnormal: mantissa x 2^-24, computed exactly in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 0x1F {
            // Infinity or NaN (payload kept in the high mantissa bits).
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// bfloat16 -> Float, exact: bfloat16 is the high half of a binary32.
    ///
    /// ```swift
    /// HalfPrecision.float(fromBFloat16Bits: 0x3F80) // 1.0
    /// ```
    public static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}

/// `withUnsafeBytes` with a typed error: the standard library's version only rethrows `any Error`.
func withRawBytes<T, E: Error>(
    _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> T
) throws(E) -> T {
    let result: Result<T, E> = bytes.withUnsafeBytes { raw in
        do throws(E) { return .success(try body(raw)) } catch { return .failure(error) }
    }
    return try result.get()
}

/// `withUnsafeBytes` on a slice, with a typed error; indices inside `body` start at 0.
func withRawBytes<T, E: Error>(
    _ bytes: ArraySlice<UInt8>, _ body: (UnsafeRawBufferPointer) throws(E) -> T
) throws(E) -> T {
    let result: Result<T, E> = bytes.withUnsafeBytes { raw in
        do throws(E) { return .success(try body(raw)) } catch { return .failure(error) }
    }
    return try result.get()
}
