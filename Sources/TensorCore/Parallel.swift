import CTensorKernels
import Dispatch
import Foundation

/// Work splitting for the element kernels. The machine has few cores, so chunks are large and the
/// work is split only when each thread gets enough to amortise the dispatch.
public enum Parallel {
    /// Threads used by the element kernels (and by OpenBLAS, see `BLAS.ensureLoaded`):
    /// all cores, or `CLIPSEARCH_THREADS` when set.
    public static let processorCount: Int = {
        if let text = ProcessInfo.processInfo.environment["CLIPSEARCH_THREADS"], let value = Int(text), value >= 1 { return value }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Chunks per thread in `forRanges`; `CLIPSEARCH_CHUNKS` overrides it (for measuring).
    static let chunksPerThread: Int = {
        if let text = ProcessInfo.processInfo.environment["CLIPSEARCH_CHUNKS"], let value = Int(text), value >= 1 { return value }
        return 8
    }()

    /// Calls `body(start, end)` on disjoint ranges covering 0..<count, possibly concurrently.
    public static func forRanges(count: Int, minimumPerThread: Int, _ body: (Int, Int) -> Void) {
        guard count > 0 else { return }
        let threads = min(processorCount, max(1, count / max(1, minimumPerThread)))
        if threads == 1 {
            body(0, count)
            return
        }
        // A few chunks per thread, claimed as threads come free: this host's cores do not run at the
        // same speed from one moment to the next (tile unit shared with other guests), and with one
        // chunk each the faster thread idled ~10 % of a forward pass waiting for the slower.
        let pieces = min(threads * chunksPerThread, max(threads, count / max(1, minimumPerThread)))
        let chunk = (count + pieces - 1) / pieces
        let chunkCount = (count + chunk - 1) / chunk
        // The ranges are disjoint, so the (non-Sendable) body never races with itself.
        withoutActuallyEscaping(body) { escapable in
            var job = RangeJob(body: escapable, chunk: chunk, count: count)
            let ranPooled = withUnsafeMutablePointer(to: &job) { pointer in
                cs_parallel_run(processorCount, chunkCount, { context, participant in
                    context!.assumingMemoryBound(to: RangeJob.self).pointee.run(participant)
                }, pointer) != 0
            }
            if ranPooled { return }
            // Another thread holds the pool (concurrent requests in the server): share the cores
            // through libdispatch instead.
            let shared = UncheckedSendable(value: job)
            DispatchQueue.concurrentPerform(iterations: chunkCount) { shared.value.run($0) }
        }
    }
}

/// One `forRanges` call as the worker pool sees it: claim i runs the i-th chunk.
private struct RangeJob {
    let body: (Int, Int) -> Void
    let chunk: Int
    let count: Int

    func run(_ participant: Int) {
        let start = participant * chunk
        let end = min(count, start + chunk)
        if start < end { body(start, end) }
    }
}

/// Wraps a value the caller guarantees is used without data races.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(value: Value) { self.value = value }
}
