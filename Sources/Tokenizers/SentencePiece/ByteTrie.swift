import Foundation

/// A trie over UTF-8 byte strings with an integer value per key: what the unigram lattice uses to find every
/// vocabulary piece starting at a position, and what user-defined symbols are matched with. Children are
/// stored flat and sorted by byte; a node with many children (the root, "▁" in a SentencePiece vocabulary)
/// also gets a 256-entry table, so a lookup is a few array reads.
struct ByteTrie: Sendable {
    /// Nodes with at least this many children are looked up through a 256-entry table.
    private static let denseThreshold = 32
    /// 256 child indices (−1: none) per dense node; a dense node's `childCount` is −1 and its `childStart`
    /// indexes its table here.
    private var denseChildren: [Int32] = []
    private var childStart: [Int32] = []
    private var childCount: [Int32] = []
    private var labels: [UInt8] = []
    private var targets: [Int32] = []
    private var values: [Int32] = []
    /// Length in bytes of the longest key.
    private(set) var longestKey = 0

    var isEmpty: Bool { longestKey == 0 }

    /// Keys must be non-empty; a key given twice keeps its last value.
    init<Keys: Sequence>(_ entries: Keys) where Keys.Element == ([UInt8], Int) {
        // Sorted keys make each node's keys one contiguous run, split by the byte at the node's depth; nodes
        // are numbered breadth-first, so every node's children are contiguous and sorted by byte.
        var items = entries.enumerated().filter { !$0.element.0.isEmpty }
        items.sort { first, second in
            let order = Self.compare(first.element.0, second.element.0)
            return order < 0 || (order == 0 && first.offset < second.offset)
        }
        longestKey = items.reduce(0) { max($0, $1.element.0.count) }
        var pending: [(low: Int, high: Int, depth: Int)] = [(0, items.count, 0)]
        var next = 0
        values = []
        childStart = []
        childCount = []
        while next < pending.count {
            let (low, high, depth) = pending[next]
            next += 1
            var index = low
            var value: Int32 = -1
            while index < high, items[index].element.0.count == depth {
                value = Int32(truncatingIfNeeded: items[index].element.1)
                index += 1
            }
            values.append(value)
            childStart.append(Int32(labels.count))
            var children: Int32 = 0
            while index < high {
                let byte = items[index].element.0[depth]
                var end = index + 1
                while end < high, items[end].element.0[depth] == byte { end += 1 }
                labels.append(byte)
                targets.append(Int32(pending.count))
                pending.append((index, end, depth + 1))
                children += 1
                index = end
            }
            childCount.append(children)
        }
        for node in childCount.indices where node == 0 || childCount[node] >= Self.denseThreshold {
            let base = denseChildren.count
            denseChildren += [Int32](repeating: -1, count: 256)
            let first = Int(childStart[node])
            for edge in first..<(first + Int(childCount[node])) { denseChildren[base + Int(labels[edge])] = targets[edge] }
            childStart[node] = Int32(base)
            childCount[node] = -1
        }
    }

    /// memcmp order of two byte strings (a prefix sorts first).
    private static func compare(_ first: [UInt8], _ second: [UInt8]) -> Int {
        first.withUnsafeBufferPointer { a in
            second.withUnsafeBufferPointer { b in
                let common = min(a.count, b.count)
                if common > 0, let base = a.baseAddress, let other = b.baseAddress {
                    let order = memcmp(base, other, common)
                    if order != 0 { return Int(order) }
                }
                return a.count - b.count
            }
        }
    }

    /// Calls `body(length, value)` for each key that is a prefix of `bytes[start..<end]`, shortest first,
    /// until it returns false.
    @inline(__always)
    func forEachPrefix(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int,
                       _ body: (Int, Int) -> Bool) {
        guard start < end else { return }
        var node = child(of: 0, bytes[start])
        var index = start + 1
        while node >= 0 {
            let value = values[node]
            if value >= 0, !body(index - start, Int(value)) { return }
            guard index < end else { return }
            node = child(of: node, bytes[index])
            index += 1
        }
    }

    /// The value of the longest key that is a prefix of `bytes[start..<end]`, with its length.
    func longestPrefix(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> (length: Int, value: Int)? {
        var best: (Int, Int)?
        forEachPrefix(bytes, from: start, to: end) { length, value in
            best = (length, value)
            return true
        }
        return best
    }

    /// The value stored for exactly `key`.
    func value(for key: [UInt8]) -> Int? {
        key.withUnsafeBufferPointer { value($0, from: 0, to: $0.count) }
    }

    /// The value stored for exactly `bytes[start..<end]`.
    @inline(__always)
    func value(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int? {
        guard start < end else { return nil }
        var node = child(of: 0, bytes[start])
        var index = start + 1
        while node >= 0, index < end {
            node = child(of: node, bytes[index])
            index += 1
        }
        guard node >= 0, values[node] >= 0 else { return nil }
        return Int(values[node])
    }

    @inline(__always)
    private func child(of node: Int, _ byte: UInt8) -> Int {
        if childCount[node] < 0 { return Int(denseChildren[Int(childStart[node]) + Int(byte)]) }
        var low = Int(childStart[node])
        var high = low + Int(childCount[node])
        while low < high {
            let middle = (low + high) >> 1
            let label = labels[middle]
            if label == byte { return Int(targets[middle]) }
            if label < byte { low = middle + 1 } else { high = middle }
        }
        return -1
    }
}
