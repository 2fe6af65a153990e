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

    /// Rust's `BinaryHeap::pop` strategy: the hole left at the top goes down to a leaf along the larger
    /// children (one comparison per level), then the last element sifts up from there (rarely far).
    mutating func pop() -> Value? {
        guard let last = entries.popLast() else { return nil }
        guard !entries.isEmpty else { return last.value }
        return entries.withUnsafeMutableBufferPointer { heap in
            let top = heap[0].value
            let count = heap.count
            var hole = 0
            var child = 1
            while child < count {
                if child + 1 < count, heap[child + 1].key > heap[child].key { child += 1 }
                heap[hole] = heap[child]
                hole = child
                child = 2 * hole + 1
            }
            while hole > 0 {
                let parent = (hole - 1) / 2
                guard last.key > heap[parent].key else { break }
                heap[hole] = heap[parent]
                hole = parent
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
/// Stored as 32-bit fields (20 bytes, not 40): the merge loop is bound by memory traffic on long words.
struct LinkedSymbol {
    /// Words are at most `maximumLength` bytes, so every field fits.
    static let maximumLength = Int(Int32.max)

    @Stored32 var value: Int
    @Stored32 var length: Int
    @Stored32 var previous: Int
    @Stored32 var next: Int
    var frozen = false
}

/// An `Int` kept in 32 bits.
@propertyWrapper
struct Stored32 {
    private var stored: Int32

    init(wrappedValue: Int) { stored = Int32(truncatingIfNeeded: wrappedValue) }

    var wrappedValue: Int {
        get { Int(stored) }
        set { stored = Int32(truncatingIfNeeded: newValue) }
    }
}
