import COpenBLAS
import Foundation
import CTensorKernels

/// OpenBLAS, loaded on first use with a kernel chosen for this CPU (see blas_loader.c for why).
public enum BLAS {
    /// Loads the library; throws with the loader's reason if it is missing.
    public static func ensureLoaded() throws {
        _ = allocatorConfigured
        var message = [CChar](repeating: 0, count: 512)
        if clipsearch_blas_load(&message, Int32(message.count)) != 0 {
            let reason = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw TensorError.blasUnavailable(reason)
        }
        _ = threadsConfigured
    }

    private static let threadsConfigured: Bool = {
        if ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil { clipsearch_blas_set_threads(Int32(Parallel.processorCount)) }
        return true
    }()

    private static let allocatorConfigured: Bool = {
        cs_configure_allocator()
        return true
    }()

    public static var coreName: String { String(cString: clipsearch_blas_core_name()) }
    public static var requestedCore: String { String(cString: clipsearch_blas_requested_core()) }
    public static var threads: Int {
        get { Int(clipsearch_blas_get_threads()) }
        set { clipsearch_blas_set_threads(Int32(newValue)) }
    }

    /// C = alpha * op(A) * op(B) + beta * C over raw row-major pointers.
    @inline(__always)
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        clipsearch_sgemm(
            transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
