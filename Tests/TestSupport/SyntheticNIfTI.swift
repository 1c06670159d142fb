import Foundation

/// A NIfTI-1 file made byte by byte (348-byte header, 4 bytes of extension flag, int16 voxels),
/// for tests that need a volume without a fixture file: an upload body, an import.
///
/// ```swift
/// let bytes = SyntheticNIfTI.int16(dims: [8, 6, 4]) { i, j, k in Int16(i + 10 * j + 100 * k) }
/// try Data(bytes).write(to: URL(fileURLWithPath: "small.nii"))
/// ```
public enum SyntheticNIfTI {
    /// An int16 volume with an sform of `spacing` on the diagonal and origin `origin` (RAS mm);
    /// qform code 0, sform code 1 (scanner), units mm. `dims` has 3 entries (or 4 for a 4D file).
    public static func int16(dims: [Int], spacing: [Float] = [1, 1, 2], origin: [Float] = [0, 0, 0],
                             value: (Int, Int, Int) -> Int16) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 352)
        func put<T>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value) { for (n, byte) in $0.enumerated() { header[offset + n] = byte } }
        }
        put(Int32(348).littleEndian, at: 0)
        put(Int16(dims.count).littleEndian, at: 40)
        for (n, d) in dims.enumerated() { put(Int16(d).littleEndian, at: 42 + 2 * n) }
        for n in dims.count..<7 { put(Int16(1).littleEndian, at: 42 + 2 * n) }
        put(Int16(4).littleEndian, at: 70)   // DT_INT16
        put(Int16(16).littleEndian, at: 72)
        put(Float(1).bitPattern.littleEndian, at: 76)
        for n in 0..<3 { put(spacing[n].bitPattern.littleEndian, at: 80 + 4 * n) }
        put(Float(352).bitPattern.littleEndian, at: 108)
        put(Float(1).bitPattern.littleEndian, at: 112)
        header[123] = 2   // mm
        put(Int16(0).littleEndian, at: 252)
        put(Int16(1).littleEndian, at: 254)
        for row in 0..<3 {
            for column in 0..<4 {
                let v: Float = column == 3 ? origin[row] : (column == row ? spacing[row] : 0)
                put(v.bitPattern.littleEndian, at: 280 + 16 * row + 4 * column)
            }
        }
        for (n, byte) in "n+1".utf8.enumerated() { header[344 + n] = byte }
        var bytes = header
        let volumes = dims.count > 3 ? dims[3...].reduce(1, *) : 1
        bytes.reserveCapacity(352 + 2 * dims[0] * dims[1] * dims[2] * volumes)
        for _ in 0..<volumes {
            for k in 0..<dims[2] { for j in 0..<dims[1] { for i in 0..<dims[0] {
                let v = UInt16(bitPattern: value(i, j, k))
                bytes.append(UInt8(v & 0xFF))
                bytes.append(UInt8(v >> 8))
            } } }
        }
        return bytes
    }
}
