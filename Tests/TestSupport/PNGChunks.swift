import Foundation
import ZIP

/// Byte-level PNG surgery for corrupt-file tests: find chunks, patch them, fix their CRC.
public enum PNGChunks {
    /// CRC-32 as PNG uses it, over chunk type + data.
    public static func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        CRC32.checksum(bytes)
    }

    /// Offset of the first chunk of `type` (its length field), or nil.
    public static func offset(of type: String, in png: [UInt8]) -> Int? {
        var position = 8
        let wanted = Array(type.utf8)
        while position + 8 <= png.count {
            let length = Int(readUInt32(png, position))
            if Array(png[(position + 4)..<(position + 8)]) == wanted { return position }
            position += 12 + length
        }
        return nil
    }

    /// Rewrites IHDR's width and height and fixes its CRC, so only the declared size is a lie.
    public static func withDeclaredSize(_ png: [UInt8], width: UInt32, height: UInt32) -> [UInt8] {
        var out = png
        let ihdr = offset(of: "IHDR", in: png)!
        writeUInt32(&out, ihdr + 8, width)
        writeUInt32(&out, ihdr + 12, height)
        writeUInt32(&out, ihdr + 8 + 13, crc32(out[(ihdr + 4)..<(ihdr + 8 + 13)]))
        return out
    }

    public static func readUInt32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        bytes[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    public static func writeUInt32(_ bytes: inout [UInt8], _ at: Int, _ value: UInt32) {
        for i in 0..<4 { bytes[at + i] = UInt8((value >> (24 - 8 * UInt32(i))) & 0xFF) }
    }
}

/// The process's peak resident memory so far, in bytes (VmHWM), or nil where /proc is missing.
public func peakResidentBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        return kilobytes.map { $0 * 1024 }
    }
    return nil
}
