import Catalog
import Foundation

/// What the ranker needs to know about one vector row.
public protocol MomentRow {
    var mediaID: Int64 { get }
    var frameTime: Double { get }
    var path: String { get }
    var mediaType: MediaType { get }
}

extension EmbeddingTable.Entry: MomentRow {}

/// One result: a photo, or a video moment (a run of consecutive matching frames).
public struct RankedMoment: Sendable, Equatable {
    public var mediaID: Int64
    public var path: String
    public var mediaType: MediaType
    public var score: Float
    public var start: Double
    public var end: Double
    public var peak: Double
}

/// Turns per-row cosines (photos are one row, videos one row per sampled frame) into results where
/// no two cover the same moment. Rows arrive ordered by media id then frame time (the catalog's
/// `loadEmbeddings` order), so a video's neighbouring frames are neighbouring rows.
public enum MomentRanker {
    public struct Filter: Sendable {
        public var mediaType: MediaType?
        /// Path prefix ending in "/".
        public var folder: String?
        public var threshold: Float?
        public var excludedMediaID: Int64?
        /// A frame joins its peak's moment while its score stays within this much of the peak.
        public var momentTolerance: Float = 0.05

        public init() {}
    }

    public static func rank<Row: MomentRow>(entries: [Row], scores: [Float], filter: Filter, count: Int) -> [RankedMoment] {
        guard count > 0, entries.count == scores.count else { return [] }
        func eligible(_ row: Int) -> Bool {
            let entry = entries[row]
            if let type = filter.mediaType, entry.mediaType != type { return false }
            if let excluded = filter.excludedMediaID, entry.mediaID == excluded { return false }
            if let threshold = filter.threshold, scores[row] < threshold { return false }
            if let folder = filter.folder, !entry.path.hasPrefix(folder) { return false }
            return true
        }
        // Frames of one moment can fill many candidate slots, so over-select before merging. Without
        // row filters the selection never touches `entries` (100k path strings) at all.
        let rowFilters = filter.mediaType != nil || filter.folder != nil || filter.excludedMediaID != nil
        let threshold = filter.threshold ?? -.infinity
        var candidates = rowFilters ? topRows(scores: scores, count: count * 4 + 16, where: eligible)
            : topRows(scores: scores, count: count * 4 + 16, where: { scores[$0] >= threshold })
        var consumed = Set<Int>()
        var results: [RankedMoment] = []
        while results.count < count {
            for row in candidates where !consumed.contains(row) {
                let entry = entries[row]
                guard entry.mediaType == .video else {
                    consumed.insert(row)
                    results.append(RankedMoment(mediaID: entry.mediaID, path: entry.path, mediaType: entry.mediaType,
                                                score: scores[row], start: 0, end: 0, peak: 0))
                    if results.count == count { return results }
                    continue
                }
                var first = row, last = row
                let floor = scores[row] - filter.momentTolerance
                func joins(_ other: Int) -> Bool {
                    other >= 0 && other < entries.count && entries[other].mediaID == entry.mediaID
                        && !consumed.contains(other) && scores[other] >= floor && (filter.threshold.map { scores[other] >= $0 } ?? true)
                }
                while joins(first - 1) { first -= 1 }
                while joins(last + 1) { last += 1 }
                for member in first...last { consumed.insert(member) }
                // The segment runs until the next sampled frame, so a one-frame moment still plays.
                let next = last + 1 < entries.count && entries[last + 1].mediaID == entry.mediaID ? entries[last + 1].frameTime
                    : entries[last].frameTime + 1
                results.append(RankedMoment(mediaID: entry.mediaID, path: entry.path, mediaType: .video, score: scores[row],
                                            start: entries[first].frameTime, end: next, peak: entry.frameTime))
                if results.count == count { return results }
            }
            // Ran out of candidates: widen once to every eligible row, then stop.
            let widened = topRows(scores: scores, count: scores.count, where: { eligible($0) && !consumed.contains($0) })
            if widened.isEmpty || candidates.count >= scores.count { break }
            candidates = widened
        }
        return results
    }

    /// Indices of the `count` best eligible rows, best first (a bounded min-heap: O(n log count)).
    static func topRows(scores: [Float], count: Int, where eligible: (Int) -> Bool) -> [Int] {
        guard count > 0 else { return [] }
        var heap: [Int] = []
        heap.reserveCapacity(min(count, scores.count))
        func less(_ a: Int, _ b: Int) -> Bool { scores[a] < scores[b] || (scores[a] == scores[b] && a > b) }
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count && less(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count && less(heap[right], heap[smallest]) { smallest = right }
                if smallest == parent { return }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        for row in scores.indices where eligible(row) {
            if heap.count < count {
                heap.append(row)
                var child = heap.count - 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard less(heap[child], heap[parent]) else { break }
                    heap.swapAt(child, parent)
                    child = parent
                }
            } else if less(heap[0], row) {
                heap[0] = row
                siftDown(0)
            }
        }
        return heap.sorted { less($1, $0) }
    }
}
