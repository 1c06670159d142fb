/// A hash that is the same in every process, on every machine and in every run — unlike Swift's
/// `Hasher`, which is seeded at random per process. Used where independent processes must agree:
/// splitting images into shards, naming a context revision in a file.
///
/// ```swift
/// StableHash.fnv1a64("000_HC")          // the same number everywhere
/// StableHash.hex(StableHash.fnv1a64("a"))   // "af63dc4c8601ec8c"
/// ```
public enum StableHash {
    /// 64-bit FNV-1a of the UTF-8 bytes of `text`.
    public static func fnv1a64(_ text: String) -> UInt64 { fnv1a64(bytes: Array(text.utf8)) }

    /// 64-bit FNV-1a of `bytes`, continuing from `seed` (the offset basis by default).
    public static func fnv1a64(bytes: [UInt8], seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var hash = seed
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// Sixteen lower-case hex digits.
    public static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
