import COpenBLAS
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The one choke point for OpenBLAS: every matrix product of the inference code goes through here,
/// so the thread count is set in one place and the time spent in sgemm can be counted.
///
/// ```swift
/// BLAS.setThreadCount(2)
/// BLAS.resetCounters()
/// // ... run a forward pass ...
/// print(BLAS.counters.seconds)
/// ```
public enum BLAS {
    /// Time and work spent in `sgemm` since the last `resetCounters()`, summed over all threads.
    public struct Counters: Sendable, Equatable {
        public var calls: Int
        public var nanoseconds: Int
        public var flops: Int
        public var seconds: Double { Double(nanoseconds) * 1e-9 }
    }

    private static let callCount = Atomic<Int>(0)
    private static let elapsed = Atomic<Int>(0)
    private static let flopCount = Atomic<Int>(0)

    /// Sets the number of threads OpenBLAS itself uses inside one call (1 when our own loops run
    /// several products side by side).
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "thread count must be at least 1")
        openblas_set_num_threads(Int32(count))
    }

    /// The number of threads OpenBLAS uses inside one call.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// The counters so far (cheap to read).
    public static var counters: Counters {
        Counters(
            calls: callCount.load(ordering: .relaxed),
            nanoseconds: elapsed.load(ordering: .relaxed),
            flops: flopCount.load(ordering: .relaxed))
    }

    /// Sets the counters to zero (before a measured run).
    public static func resetCounters() {
        callCount.store(0, ordering: .relaxed)
        elapsed.store(0, ordering: .relaxed)
        flopCount.store(0, ordering: .relaxed)
    }

    // sgemm: C[m][n] = A[m][k] · B[k][n] + beta · C[m][n], all row-major with leading dimensions
    // lda >= k, ldb >= n, ldc >= n. Matches torch.addmm(beta * C, A, B).
    static func sgemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        beta: Float = 0
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "negative matrix dimension")
        precondition(lda >= max(1, k) && ldb >= max(1, n) && ldc >= max(1, n), "leading dimension too small")
        precondition(m <= Int(Int32.max) && n <= Int(Int32.max) && k <= Int(Int32.max), "matrix too large for 32-bit BLAS")
        if m == 0 || n == 0 { return }
        let start = monotonicNanoseconds()
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            1, a, Int32(lda), b, Int32(ldb),
            beta, c, Int32(ldc))
        let spent = monotonicNanoseconds() - start
        callCount.add(1, ordering: .relaxed)
        elapsed.add(spent, ordering: .relaxed)
        flopCount.add(2 * m * n * k, ordering: .relaxed)
    }
}

/// Nanoseconds on the monotonic clock (cheap enough to call around every matrix product).
@inline(__always)
func monotonicNanoseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return now.tv_sec * 1_000_000_000 + now.tv_nsec
}
