/// A trie over UTF-8 byte strings with an integer value per key: what the unigram lattice uses to find every
/// vocabulary piece starting at a position, and what user-defined symbols are matched with. Children are
/// stored flat and sorted by byte (the root through a 256-entry table), so a lookup is a few array reads.
struct ByteTrie: Sendable {
    private var rootChildren = [Int32](repeating: -1, count: 256)
    private var childStart: [Int32] = [0]
    private var childCount: [Int32] = [0]
    private var labels: [UInt8] = []
    private var targets: [Int32] = []
    private var values: [Int32] = [-1]
    /// Length in bytes of the longest key.
    private(set) var longestKey = 0

    var isEmpty: Bool { longestKey == 0 }

    /// Keys must be non-empty; a key given twice keeps its last value.
    init<Keys: Sequence>(_ entries: Keys) where Keys.Element == ([UInt8], Int) {
        // Edges keyed by (parent << 8 | byte) while inserting, then laid out grouped by parent, sorted by byte.
        var edges: [UInt64: Int32] = [:]
        var nodeValues: [Int32] = [-1]
        for (key, value) in entries where !key.isEmpty {
            var node: Int32 = 0
            for byte in key {
                let edge = UInt64(node) << 8 | UInt64(byte)
                if let next = edges[edge] {
                    node = next
                } else {
                    nodeValues.append(-1)
                    node = Int32(nodeValues.count - 1)
                    edges[edge] = node
                }
            }
            nodeValues[Int(node)] = Int32(truncatingIfNeeded: value)
            longestKey = max(longestKey, key.count)
        }
        values = nodeValues
        childStart = [Int32](repeating: 0, count: nodeValues.count)
        childCount = [Int32](repeating: 0, count: nodeValues.count)
        let sorted = edges.sorted { $0.key < $1.key }
        labels.reserveCapacity(sorted.count)
        targets.reserveCapacity(sorted.count)
        for (edge, target) in sorted {
            let parent = Int(edge >> 8)
            if childCount[parent] == 0 { childStart[parent] = Int32(labels.count) }
            childCount[parent] += 1
            labels.append(UInt8(edge & 0xFF))
            targets.append(target)
            if parent == 0 { rootChildren[Int(edge & 0xFF)] = target }
        }
    }

    /// Calls `body(length, value)` for each key that is a prefix of `bytes[start..<end]`, shortest first,
    /// until it returns false.
    @inline(__always)
    func forEachPrefix(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int,
                       _ body: (Int, Int) -> Bool) {
        guard start < end else { return }
        var node = Int(rootChildren[Int(bytes[start])])
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
        var node = Int(rootChildren[Int(bytes[start])])
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
