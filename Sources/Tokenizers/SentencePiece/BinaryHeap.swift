/// A binary max-heap of values ordered by a 64-bit key, for the byte-pair merge agendas. Priorities are
/// packed into the key (see `orderedBits`), so comparisons are integer compares rather than closure calls,
/// and sifting moves a hole instead of swapping.
struct BinaryHeap<Value> {
    private struct Entry {
        let key: UInt64
        let value: Value
    }

    private var entries: [Entry] = []

    init(capacity: Int = 0) {
        entries.reserveCapacity(capacity)
    }

    var isEmpty: Bool { entries.isEmpty }

    mutating func push(_ value: Value, key: UInt64) {
        let entry = Entry(key: key, value: value)
        entries.append(entry)
        entries.withUnsafeMutableBufferPointer { heap in
            var hole = heap.count - 1
            while hole > 0 {
                let parent = (hole - 1) / 2
                guard key > heap[parent].key else { break }
                heap[hole] = heap[parent]
                hole = parent
            }
            heap[hole] = entry
        }
    }

    mutating func pop() -> Value? {
        guard let last = entries.popLast() else { return nil }
        guard !entries.isEmpty else { return last.value }
        return entries.withUnsafeMutableBufferPointer { heap in
            let top = heap[0].value
            let count = heap.count
            var hole = 0
            while true {
                let left = 2 * hole + 1
                guard left < count else { break }
                let right = left + 1
                let child = right < count && heap[right].key > heap[left].key ? right : left
                guard heap[child].key > last.key else { break }
                heap[hole] = heap[child]
                hole = child
            }
            heap[hole] = last
            return top
        }
    }

    /// A float's bits mapped so that unsigned order is numeric order.
    @inline(__always)
    static func orderedBits(_ value: Float) -> UInt32 {
        let bits = value.bitPattern
        return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }
}

/// One symbol of a word being merged, in a doubly linked list over an array (−1 ends it). `value` is what
/// the model tracks (a byte offset or a token id); a symbol merged into its left neighbour gets length 0.
struct LinkedSymbol {
    var value: Int
    var length: Int
    var previous: Int
    var next: Int
    var frozen = false
}
