import Foundation

/// Builds a ZIP archive of uncompressed (stored) entries in memory — what the mask export needs:
/// PNGs are already compressed, so deflating them again gains nothing.
///
/// ```swift
/// var zip = ZipWriter()
/// try zip.add(name: "a.png", bytes: png)
/// let bytes = zip.finish()
/// ```
public struct ZipWriter {
    private var output: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0
    private let dosTime: UInt16
    private let dosDate: UInt16

    public init(date: Date = Date()) {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        dosTime = UInt16((c.hour ?? 0) << 11 | (c.minute ?? 0) << 5 | (c.second ?? 0) / 2)
        dosDate = UInt16(max(0, (c.year ?? 1980) - 1980) << 9 | (c.month ?? 1) << 5 | (c.day ?? 1))
    }

    public enum Failure: Error, CustomStringConvertible {
        case tooLarge
        public var description: String { "the export is larger than 4 GiB or has more than 65535 files; export to a folder with `multiverseg export` instead" }
    }

    public mutating func add(name: String, bytes: [UInt8]) throws {
        let nameBytes = Array(name.utf8)
        guard output.count + bytes.count + 30 + nameBytes.count < Int(UInt32.max), count < 65535 else {
            throw Failure.tooLarge
        }
        let crc = CRC32.checksum(bytes)
        let offset = UInt32(output.count)
        // Local file header.
        append32(&output, 0x0403_4B50)
        append16(&output, 20)  // version needed: 2.0
        append16(&output, 0x0800)  // flags: UTF-8 names
        append16(&output, 0)  // stored
        append16(&output, dosTime)
        append16(&output, dosDate)
        append32(&output, crc)
        append32(&output, UInt32(bytes.count))
        append32(&output, UInt32(bytes.count))
        append16(&output, UInt16(nameBytes.count))
        append16(&output, 0)
        output += nameBytes
        output += bytes
        // Central directory record.
        append32(&central, 0x0201_4B50)
        append16(&central, 20)
        append16(&central, 20)
        append16(&central, 0x0800)
        append16(&central, 0)
        append16(&central, dosTime)
        append16(&central, dosDate)
        append32(&central, crc)
        append32(&central, UInt32(bytes.count))
        append32(&central, UInt32(bytes.count))
        append16(&central, UInt16(nameBytes.count))
        append16(&central, 0)  // extra
        append16(&central, 0)  // comment
        append16(&central, 0)  // disk
        append16(&central, 0)  // internal attributes
        append32(&central, 0o100644 << 16)  // external attributes: a regular file, rw-r--r--
        append32(&central, offset)
        central += nameBytes
        count += 1
    }

    public func finish() -> [UInt8] {
        var bytes = output + central
        append32(&bytes, 0x0605_4B50)
        append16(&bytes, 0)
        append16(&bytes, 0)
        append16(&bytes, UInt16(count))
        append16(&bytes, UInt16(count))
        append32(&bytes, UInt32(central.count))
        append32(&bytes, UInt32(output.count))
        append16(&bytes, 0)
        return bytes
    }

    private func append16(_ bytes: inout [UInt8], _ value: UInt16) {
        bytes += [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    private func append32(_ bytes: inout [UInt8], _ value: UInt32) {
        bytes += [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
    }
}
