// Little-endian reads from untrusted byte buffers. Each read checks its own bounds and returns nil
// past the end, so a hostile offset never reaches memory outside the buffer.

extension UnsafeRawBufferPointer {
    /// The little-endian UInt16 at `offset`; nil when fewer than 2 bytes remain.
    @inline(__always)
    public func littleEndianUInt16(at offset: Int) -> UInt16? {
        guard offset >= 0, offset <= count - 2 else { return nil }
        return UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    /// The little-endian UInt32 at `offset`; nil when fewer than 4 bytes remain.
    @inline(__always)
    public func littleEndianUInt32(at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= count - 4 else { return nil }
        return UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// The little-endian UInt64 at `offset`; nil when fewer than 8 bytes remain.
    @inline(__always)
    public func littleEndianUInt64(at offset: Int) -> UInt64? {
        guard offset >= 0, offset <= count - 8 else { return nil }
        return UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}

/// `withUnsafeBytes` with a typed error: the standard library's version only rethrows `any Error`.
public func withRawBytes<T, E: Error>(
    _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> T
) throws(E) -> T {
    let result: Result<T, E> = bytes.withUnsafeBytes { raw in
        do throws(E) { return .success(try body(raw)) } catch { return .failure(error) }
    }
    return try result.get()
}

/// `withUnsafeBytes` on a slice, with a typed error; indices inside `body` start at 0.
public func withRawBytes<T, E: Error>(
    _ bytes: ArraySlice<UInt8>, _ body: (UnsafeRawBufferPointer) throws(E) -> T
) throws(E) -> T {
    let result: Result<T, E> = bytes.withUnsafeBytes { raw in
        do throws(E) { return .success(try body(raw)) } catch { return .failure(error) }
    }
    return try result.get()
}

extension String {
    /// Decodes `bytes` as UTF-8, or nil when they are not valid UTF-8 (no replacement characters).
    public init?(validatingUTF8Bytes bytes: some Collection<UInt8>) {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var scalars = String.UnicodeScalarView()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = String(scalars)
    }
}
