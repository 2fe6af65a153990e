import Dispatch
import Foundation
import TensorCore
import XCTest

/// `Parallel.forRanges` runs on a spinning worker pool, with libdispatch as the fallback when the pool
/// is taken. Every index must be visited exactly once however the callers overlap.
final class ParallelTests: XCTestCase {
    /// Counts visits per index; ranges are disjoint, so each slot has one writer per call.
    final class VisitCounter: @unchecked Sendable {
        let counts: UnsafeMutablePointer<Int>
        let count: Int
        init(count: Int) {
            self.count = count
            counts = .allocate(capacity: max(count, 1))
            counts.initialize(repeating: 0, count: max(count, 1))
        }
        deinit { counts.deallocate() }
        func visit(_ start: Int, _ end: Int) { for index in start..<end { counts[index] += 1 } }
        var all: [Int] { Array(UnsafeBufferPointer(start: counts, count: count)) }
    }

    func testEveryIndexIsVisitedOnceForManyShapes() {
        for count in [1, 2, 3, 7, 64, 65, 1000] {
            for minimum in [1, 2, 64] {
                let counter = VisitCounter(count: count)
                for _ in 0..<200 { Parallel.forRanges(count: count, minimumPerThread: minimum) { counter.visit($0, $1) } }
                XCTAssertEqual(counter.all, Array(repeating: 200, count: count), "count \(count), minimum \(minimum)")
            }
        }
    }

    func testConcurrentCallersFallBackWithoutLosingWork() {
        let callers = 4, count = 257, rounds = 300
        let counters = (0..<callers).map { _ in VisitCounter(count: count) }
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for _ in 0..<rounds { Parallel.forRanges(count: count, minimumPerThread: 1) { counters[caller].visit($0, $1) } }
        }
        for (caller, counter) in counters.enumerated() {
            XCTAssertEqual(counter.all, Array(repeating: rounds, count: count), "caller \(caller)")
        }
    }

    func testNestedCallsComplete() {
        let outer = 8, inner = 33
        let counter = VisitCounter(count: outer * inner)
        for _ in 0..<50 {
            Parallel.forRanges(count: outer, minimumPerThread: 1) { start, end in
                for row in start..<end {
                    Parallel.forRanges(count: inner, minimumPerThread: 1) { counter.visit(row * inner + $0, row * inner + $1) }
                }
            }
        }
        XCTAssertEqual(counter.all, Array(repeating: 50, count: outer * inner))
    }

    /// The pool's workers sleep after a short spin; work published after they sleep must wake them.
    func testWorkAfterAnIdlePauseCompletes() {
        let counter = VisitCounter(count: 100)
        for _ in 0..<5 {
            Thread.sleep(forTimeInterval: 0.005)
            Parallel.forRanges(count: 100, minimumPerThread: 1) { counter.visit($0, $1) }
        }
        XCTAssertEqual(counter.all, Array(repeating: 5, count: 100))
    }
}
