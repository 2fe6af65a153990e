/// Exact lookup of byte strings (vocabulary pieces) by hashing: one probe and one comparison, where a trie walk
/// touches a node per byte. The byte-pair merge loops look a candidate piece up for every adjacent pair.
struct PieceTable: Sendable {
    private var blob: [UInt8] = []
    private var offsets: [Int32] = []
    private var lengths: [Int32] = []
    private var ids: [Int32] = []
    /// Open addressing: an entry index + 1 per slot (0: empty).
    private var slots: [Int32]
    private let shift: UInt64

    /// A key given twice keeps its last id; empty keys are left out.
    init(_ entries: [([UInt8], Int)]) {
        var capacity = 16
        while capacity < entries.count * 2 { capacity *= 2 }
        slots = [Int32](repeating: 0, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        for (key, id) in entries where !key.isEmpty {
            let existing = key.withUnsafeBufferPointer { find($0, from: 0, to: $0.count) }
            if let entry = existing.entry {
                ids[entry] = Int32(truncatingIfNeeded: id)
                continue
            }
            offsets.append(Int32(blob.count))
            lengths.append(Int32(key.count))
            ids.append(Int32(truncatingIfNeeded: id))
            blob += key
            slots[existing.slot] = Int32(ids.count)
        }
    }

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for index in start..<end { hash = (hash ^ UInt64(bytes[index])) &* 0x100_0000_01B3 }
        return hash
    }

    /// The entry holding `bytes[start..<end]`, or the empty slot where it would go.
    @inline(__always)
    private func find(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> (entry: Int?, slot: Int) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: (Self.hash(bytes, start, end) &* 0x9E37_79B9_7F4A_7C15) >> shift)
        let length = end - start
        while true {
            let stored = Int(slots[slot])
            if stored == 0 { return (nil, slot) }
            let entry = stored - 1
            if Int(lengths[entry]) == length {
                let offset = Int(offsets[entry])
                var equal = true
                for index in 0..<length where blob[offset + index] != bytes[start + index] {
                    equal = false
                    break
                }
                if equal { return (entry, slot) }
            }
            slot = (slot + 1) & mask
        }
    }

    /// The id of exactly `bytes[start..<end]`.
    @inline(__always)
    func id(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int? {
        guard start < end, let entry = find(bytes, from: start, to: end).entry else { return nil }
        return Int(ids[entry])
    }

    func id(_ key: [UInt8]) -> Int? {
        key.withUnsafeBufferPointer { id($0, from: 0, to: $0.count) }
    }
}
