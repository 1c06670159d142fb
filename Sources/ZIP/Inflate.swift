import CZlib

// The one place where zlib is called. zlib (already a dependency of libpng) decodes raw DEFLATE
// for ZIP method 8; this wrapper adds the output cap and turns zlib's status codes into
// `InflateError`s that say what is wrong with the data.

/// Why DEFLATE data could not be decoded. `reason` is ours for truncation and the size cap,
/// otherwise zlib's own message (e.g. "invalid block type"), prefixed by the call that failed.
struct InflateError: Error, Equatable, Sendable {
    var reason: String
}

/// A raw DEFLATE (RFC 1951) decoder for ZIP method 8, on zlib. Output is capped at `limit` bytes,
/// so a small hostile stream cannot expand without bound: zlib is given an output buffer of
/// exactly `limit` bytes and a stream that has not ended when it is full is refused.
enum Inflate {
    /// Decodes `input` completely; throws if it is malformed, ends early, or would produce more
    /// than `limit` bytes.
    ///
    /// ```swift
    /// let data = try Inflate.decompress(compressed[...], limit: entry.uncompressedSize)
    /// ```
    static func decompress(_ input: ArraySlice<UInt8>, limit: Int) throws(InflateError) -> [UInt8] {
        let stream = try InflateStream()
        return try stream.decompress(input, limit: limit)
    }
}

/// Owns one `z_stream`. zlib keeps a pointer back to the stream in its state and checks it on
/// every call, so the struct lives at a fixed heap address rather than in a Swift value.
private final class InflateStream {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

    init() throws(InflateError) {
        stream.initialize(to: z_stream())
        // windowBits -15: raw DEFLATE, no zlib header or Adler-32 trailer (ZIP stores neither).
        // inflateInit2 is a macro; its function passes the header's version and struct size so
        // zlib can refuse a mismatched library.
        let status = ZLIB_VERSION.withCString { version in
            inflateInit2_(stream, -15, version, Int32(MemoryLayout<z_stream>.size))
        }
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw InflateError(reason: "inflateInit2: zlib status \(status)")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func decompress(_ input: ArraySlice<UInt8>, limit: Int) throws(InflateError) -> [UInt8] {
        guard limit >= 0, UInt64(limit) <= UInt64(UInt32.max), UInt64(input.count) <= UInt64(UInt32.max) else {
            throw InflateError(reason: "data expands past the declared size")
        }
        // One spare byte: zlib fills it only when the stream holds more than `limit` bytes.
        var output = [UInt8](repeating: 0, count: limit + 1)
        let result: (status: Int32, produced: Int) = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                // zlib never writes through next_in; the mutable pointer is its C signature.
                stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.pointee.avail_in = UInt32(source.count)
                stream.pointee.next_out = destination.baseAddress
                stream.pointee.avail_out = UInt32(destination.count)
                let status = inflate(stream, Z_FINISH)
                return (status, destination.count - Int(stream.pointee.avail_out))
            }
        }
        switch result.status {
        case Z_STREAM_END:
            guard result.produced <= limit else { throw InflateError(reason: "data expands past the declared size") }
            output.removeLast(output.count - result.produced)
            return output
        case Z_BUF_ERROR where result.produced > limit:
            throw InflateError(reason: "data expands past the declared size")
        case Z_BUF_ERROR, Z_OK:
            // Z_FINISH with output room left: the input ran out before the final block ended.
            throw InflateError(reason: "compressed data ends early")
        case Z_DATA_ERROR:
            let message = stream.pointee.msg.map { String(cString: $0) } ?? "invalid data"
            throw InflateError(reason: "inflate: \(message)")
        case Z_MEM_ERROR:
            throw InflateError(reason: "inflate: out of memory")
        default:
            throw InflateError(reason: "inflate: zlib status \(result.status)")
        }
    }
}
