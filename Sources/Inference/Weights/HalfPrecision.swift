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
