/// Why a ZIP archive (the container of a PyTorch checkpoint) was refused.
public enum ZipArchiveError: Error, CustomStringConvertible, Equatable {
    case notAZipArchive
    case multiDiskArchive
    case centralDirectoryOutOfBounds
    case malformedCentralDirectory(reason: String)
    case tooManyEntries(count: UInt64, limit: Int)
    case invalidEntryName
    case duplicateEntry(name: String)
    case malformedLocalHeader(entry: String)
    case entryOutOfBounds(entry: String)
    case encryptedEntry(entry: String)
    case unsupportedCompression(entry: String, method: UInt16)
    case sizeMismatch(entry: String)
    case checksumMismatch(entry: String)
    case corruptCompressedData(entry: String, reason: String)
    case entryTooLarge(entry: String, size: UInt64, limit: Int)

    public var description: String {
        switch self {
        case .notAZipArchive:
            "no ZIP end-of-central-directory record found: the file is not a ZIP-based PyTorch checkpoint (torch >= 1.6) or it is truncated; re-save it with torch.save"
        case .multiDiskArchive:
            "the archive spans several disks, which a checkpoint never does; the file is corrupt"
        case .centralDirectoryOutOfBounds:
            "the ZIP central directory lies outside the file; the file is truncated or corrupt"
        case .malformedCentralDirectory(let reason):
            "the ZIP central directory is malformed (\(reason)); the file is corrupt"
        case .tooManyEntries(let count, let limit):
            "the archive claims \(count) entries, over the limit of \(limit); this is not a checkpoint"
        case .invalidEntryName:
            "a ZIP entry name is not valid UTF-8; the file is corrupt"
        case .duplicateEntry(let name):
            "the archive holds '\(name)' twice; the file is corrupt or hostile"
        case .malformedLocalHeader(let entry):
            "the local header of '\(entry)' is malformed; the file is corrupt"
        case .entryOutOfBounds(let entry):
            "the data of '\(entry)' lies outside the file; the file is truncated or corrupt"
        case .encryptedEntry(let entry):
            "'\(entry)' is encrypted; decrypt the checkpoint first"
        case .unsupportedCompression(let entry, let method):
            "'\(entry)' uses compression method \(method); only stored and DEFLATE entries are supported — re-save the checkpoint with torch.save instead of re-zipping it"
        case .corruptCompressedData(let entry, let reason):
            "the compressed data of '\(entry)' is corrupt (\(reason)); download the file again or re-save it with torch.save"
        case .entryTooLarge(let entry, let size, let limit):
            "'\(entry)' declares \(size) bytes uncompressed, over the limit of \(limit); this is not a checkpoint this program can load"
        case .sizeMismatch(let entry):
            "the stored sizes of '\(entry)' disagree; the file is corrupt"
        case .checksumMismatch(let entry):
            "the CRC-32 of '\(entry)' does not match its data; the file is corrupt — download it again"
        }
    }
}

/// A read-only view of a ZIP archive held in memory: the central directory is parsed and checked up
/// front; entry data are checked (bounds, method, CRC-32) when read. Stored and DEFLATE entries
/// are supported. Entry names are only compared,
/// never used as paths.
///
/// ```swift
/// let archive = try ZipArchive(bytes)
/// let pickle = try archive.contents(of: "archive/data.pkl")
/// ```
public struct ZipArchive: Sendable {
    /// One central-directory record.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var method: UInt16
        public var flags: UInt16
        public var crc32: UInt32
        public var compressedSize: UInt64
        public var uncompressedSize: UInt64
        public var localHeaderOffset: UInt64
    }

    public static let maximumEntries = 1_000_000

    public let bytes: [UInt8]
    /// Entries in central-directory order.
    public private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]

    public init(_ bytes: [UInt8]) throws(ZipArchiveError) {
        self.bytes = bytes
        let directory: (entries: UInt64, size: UInt64, offset: UInt64, end: Int) =
            try withRawBytes(bytes) { raw throws(ZipArchiveError) in try Self.locateDirectory(raw) }
        guard directory.entries <= UInt64(Self.maximumEntries) else {
            throw .tooManyEntries(count: directory.entries, limit: Self.maximumEntries)
        }
        guard directory.offset <= UInt64(directory.end), directory.size <= UInt64(directory.end) - directory.offset else {
            throw .centralDirectoryOutOfBounds
        }
        let start = Int(directory.offset)
        let end = start + Int(directory.size)
        let parsed: [Entry] = try withRawBytes(bytes) { raw throws(ZipArchiveError) in
            try Self.parseDirectory(raw, from: start, to: end, count: Int(directory.entries))
        }
        for (position, entry) in parsed.enumerated() {
            guard index.updateValue(position, forKey: entry.name) == nil else { throw .duplicateEntry(name: entry.name) }
        }
        entries = parsed
    }

    /// The entry named exactly `name`, if any.
    public func entry(named name: String) -> Entry? { index[name].map { entries[$0] } }

    private static let endOfDirectorySignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let zip64EndSignature: UInt32 = 0x0606_4B50
    private static let directorySignature: UInt32 = 0x0201_4B50
    private static let localSignature: UInt32 = 0x0403_4B50

    /// Finds the end-of-central-directory record (searching back over a comment of up to 64 KiB)
    /// and, when its fields are saturated, the ZIP64 record.
    private static func locateDirectory(
        _ raw: UnsafeRawBufferPointer
    ) throws(ZipArchiveError) -> (entries: UInt64, size: UInt64, offset: UInt64, end: Int) {
        guard raw.count >= 22 else { throw .notAZipArchive }
        var position = raw.count - 22
        let lowest = max(0, raw.count - 22 - 0xFFFF)
        var found: Int?
        while position >= lowest {
            if raw.littleEndianUInt32(at: position) == endOfDirectorySignature,
               let commentLength = raw.littleEndianUInt16(at: position + 20),
               position + 22 + Int(commentLength) <= raw.count {
                found = position
                break
            }
            position -= 1
        }
        guard let eocd = found else { throw .notAZipArchive }
        let disk = raw.littleEndianUInt16(at: eocd + 4)!
        let directoryDisk = raw.littleEndianUInt16(at: eocd + 6)!
        let entriesOnDisk = raw.littleEndianUInt16(at: eocd + 8)!
        var entries = UInt64(raw.littleEndianUInt16(at: eocd + 10)!)
        var size = UInt64(raw.littleEndianUInt32(at: eocd + 12)!)
        var offset = UInt64(raw.littleEndianUInt32(at: eocd + 16)!)
        var end = eocd
        let saturated = entries == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF
        if saturated || (eocd >= 20 && raw.littleEndianUInt32(at: eocd - 20) == zip64LocatorSignature) {
            guard eocd >= 20, raw.littleEndianUInt32(at: eocd - 20) == zip64LocatorSignature else {
                throw .malformedCentralDirectory(reason: "ZIP64 fields without a ZIP64 locator")
            }
            let record = raw.littleEndianUInt64(at: eocd - 20 + 8)!
            guard raw.littleEndianUInt32(at: eocd - 20 + 4) == 0, raw.littleEndianUInt32(at: eocd - 20 + 16) ?? 0 <= 1 else {
                throw .multiDiskArchive
            }
            guard record <= UInt64(eocd - 20), Int(record) + 56 <= eocd - 20,
                  raw.littleEndianUInt32(at: Int(record)) == zip64EndSignature
            else { throw .malformedCentralDirectory(reason: "bad ZIP64 end record") }
            let r = Int(record)
            guard raw.littleEndianUInt32(at: r + 16) == 0, raw.littleEndianUInt32(at: r + 20) == 0 else {
                throw .multiDiskArchive
            }
            entries = raw.littleEndianUInt64(at: r + 32)!
            size = raw.littleEndianUInt64(at: r + 40)!
            offset = raw.littleEndianUInt64(at: r + 48)!
            end = r
        } else {
            guard disk == 0, directoryDisk == 0, entriesOnDisk == UInt16(truncatingIfNeeded: entries) else {
                throw .multiDiskArchive
            }
        }
        return (entries, size, offset, end)
    }

    private static func parseDirectory(
        _ raw: UnsafeRawBufferPointer, from start: Int, to end: Int, count: Int
    ) throws(ZipArchiveError) -> [Entry] {
        var entries: [Entry] = []
        entries.reserveCapacity(min(count, 4096))
        var position = start
        for _ in 0..<count {
            guard position + 46 <= end, raw.littleEndianUInt32(at: position) == directorySignature else {
                throw .malformedCentralDirectory(reason: "entry \(entries.count) has no valid header")
            }
            let flags = raw.littleEndianUInt16(at: position + 8)!
            let method = raw.littleEndianUInt16(at: position + 10)!
            let crc = raw.littleEndianUInt32(at: position + 16)!
            var compressed = UInt64(raw.littleEndianUInt32(at: position + 20)!)
            var uncompressed = UInt64(raw.littleEndianUInt32(at: position + 24)!)
            let nameLength = Int(raw.littleEndianUInt16(at: position + 28)!)
            let extraLength = Int(raw.littleEndianUInt16(at: position + 30)!)
            let commentLength = Int(raw.littleEndianUInt16(at: position + 32)!)
            let diskStart = raw.littleEndianUInt16(at: position + 34)!
            var localOffset = UInt64(raw.littleEndianUInt32(at: position + 42)!)
            let nameStart = position + 46
            let extraStart = nameStart + nameLength
            let next = extraStart + extraLength + commentLength
            guard next <= end else { throw .malformedCentralDirectory(reason: "entry \(entries.count) runs past the directory") }
            guard let name = String(validatingUTF8Bytes: UnsafeRawBufferPointer(rebasing: raw[nameStart..<extraStart])) else {
                throw .invalidEntryName
            }
            // ZIP64 extended information: the 64-bit values follow, in this order, only for the
            // fields that are saturated in the fixed record.
            var extra = extraStart
            while extra + 4 <= extraStart + extraLength {
                let tag = raw.littleEndianUInt16(at: extra)!
                let length = Int(raw.littleEndianUInt16(at: extra + 2)!)
                let body = extra + 4
                guard body + length <= extraStart + extraLength else {
                    throw .malformedCentralDirectory(reason: "extra field of '\(name)' runs past its record")
                }
                if tag == 0x0001 {
                    var field = body
                    func take() throws(ZipArchiveError) -> UInt64 {
                        guard field + 8 <= body + length, let value = raw.littleEndianUInt64(at: field) else {
                            throw .malformedCentralDirectory(reason: "short ZIP64 field of '\(name)'")
                        }
                        field += 8
                        return value
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try take() }
                    if compressed == 0xFFFF_FFFF { compressed = try take() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try take() }
                }
                extra = body + length
            }
            guard diskStart == 0 || diskStart == 0xFFFF else { throw .multiDiskArchive }
            entries.append(Entry(
                name: name, method: method, flags: flags, crc32: crc, compressedSize: compressed,
                uncompressedSize: uncompressed, localHeaderOffset: localOffset))
            position = next
        }
        return entries
    }

    /// Byte range of an entry's data, checked against the file and its local header.
    public func dataRange(of entry: Entry) throws(ZipArchiveError) -> Range<Int> {
        try withRawBytes(bytes) { raw throws(ZipArchiveError) -> Range<Int> in
            guard entry.localHeaderOffset <= UInt64(raw.count) else { throw .entryOutOfBounds(entry: entry.name) }
            let local = Int(entry.localHeaderOffset)
            guard local + 30 <= raw.count, raw.littleEndianUInt32(at: local) == Self.localSignature else {
                throw .malformedLocalHeader(entry: entry.name)
            }
            let nameLength = Int(raw.littleEndianUInt16(at: local + 26)!)
            let extraLength = Int(raw.littleEndianUInt16(at: local + 28)!)
            let start = local + 30 + nameLength + extraLength
            guard start <= raw.count else { throw .entryOutOfBounds(entry: entry.name) }
            // The local name must be the directory's name: a mismatch means the offsets were forged.
            guard raw[(local + 30)..<(local + 30 + nameLength)].elementsEqual(entry.name.utf8) else {
                throw .malformedLocalHeader(entry: entry.name)
            }
            guard entry.compressedSize <= UInt64(raw.count - start) else { throw .entryOutOfBounds(entry: entry.name) }
            return start..<(start + Int(entry.compressedSize))
        }
    }

    /// Largest uncompressed size accepted for a DEFLATE entry.
    public var maxInflatedEntryBytes = 4 << 30

    /// The uncompressed contents of `entry`, after checking its bounds, method, size and CRC-32.
    /// Stored entries are returned without copying; DEFLATE entries are decoded with the declared
    /// size as a hard cap (DEFLATE cannot expand more than 1032:1, which bounds the cap too).
    public func contents(of entry: Entry) throws(ZipArchiveError) -> ArraySlice<UInt8> {
        if entry.flags & 0x1 != 0 { throw .encryptedEntry(entry: entry.name) }
        let data: ArraySlice<UInt8>
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else { throw .sizeMismatch(entry: entry.name) }
            data = bytes[try dataRange(of: entry)]
        case 8:
            let compressed = bytes[try dataRange(of: entry)]
            let (ratioCap, overflow) = UInt64(compressed.count).multipliedReportingOverflow(by: 1032)
            guard entry.uncompressedSize <= UInt64(maxInflatedEntryBytes), overflow || entry.uncompressedSize <= ratioCap + 64 else {
                throw .entryTooLarge(entry: entry.name, size: entry.uncompressedSize, limit: maxInflatedEntryBytes)
            }
            let inflated: [UInt8]
            do {
                inflated = try Inflate.decompress(compressed, limit: Int(entry.uncompressedSize))
            } catch {
                throw .corruptCompressedData(entry: entry.name, reason: error.reason)
            }
            guard inflated.count == Int(entry.uncompressedSize) else { throw .sizeMismatch(entry: entry.name) }
            data = inflated[...]
        default:
            throw .unsupportedCompression(entry: entry.name, method: entry.method)
        }
        guard CRC32.checksum(data) == entry.crc32 else { throw .checksumMismatch(entry: entry.name) }
        return data
    }

    /// The contents of the entry named `name`, or nil when there is none.
    public func contents(of name: String) throws(ZipArchiveError) -> ArraySlice<UInt8>? {
        guard let entry = entry(named: name) else { return nil }
        return try contents(of: entry)
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as ZIP stores it.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// ```swift
    /// CRC32.checksum(Array("123456789".utf8)) // 0xCBF43926
    /// ```
    public static func checksum(_ data: some Collection<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in data { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return ~crc
    }
}
