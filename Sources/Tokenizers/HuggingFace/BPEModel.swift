import Foundation

/// tokenizers' `BPE` model as `tokenizer.json` describes it (the form SentencePiece BPE vocabularies such
/// as Gemma's and Llama's take there): a word starts as its characters (a character outside the vocabulary
/// becomes its `<0xNN>` byte pieces with byte fallback, else the unknown token, consecutive ones fused);
/// then the ranked merge with the lowest rank is applied first (ties: leftmost), until none applies.
struct BPEModel: TokenizationModel {
    struct Merge {
        let rank: Int32
        let mergedID: Int32
    }

    let vocabulary: PieceTable
    let merges: MergeTable
    let unknownID: Int?
    let fusesUnknown: Bool
    let byteIDs: [Int]?
    let continuingSubwordPrefix: [UInt8]
    let endOfWordSuffix: [UInt8]
    let ignoresMerges: Bool

    @inline(__always)
    static func pairKey(_ left: Int, _ right: Int) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: left)) << 32 | UInt64(UInt32(truncatingIfNeeded: right))
    }

    private struct Candidate {
        let storedPosition: Int32
        let mergedID: Int32

        var position: Int { Int(storedPosition) }
    }

    @inline(__always)
    private static func push(_ queue: inout BinaryHeap<Candidate>, _ position: Int, _ merge: Merge) {
        let key = ~(UInt64(UInt32(bitPattern: merge.rank)) << 32 | UInt64(UInt32(truncatingIfNeeded: position)))
        queue.push(Candidate(storedPosition: Int32(truncatingIfNeeded: position), mergedID: merge.mergedID), key: key)
    }

    /// The word's characters as ids, with byte fallback or (fused) unknown tokens; `next` links unset.
    private func initialSymbols(_ word: [UInt8]) -> [LinkedSymbol] {
        var ids: [Int] = []
        ids.reserveCapacity(word.count)
        var pendingUnknown = false
        let plain = continuingSubwordPrefix.isEmpty && endOfWordSuffix.isEmpty
        word.withUnsafeBufferPointer { bytes in
            var position = 0
            while position < bytes.count {
                let end = min(position + UTF8Text.scalarLength(leadByte: bytes[position]), bytes.count)
                var piece: [UInt8] = []
                let id: Int?
                if plain {
                    id = vocabulary.id(bytes, from: position, to: end)
                } else {
                    piece = (position > 0 ? continuingSubwordPrefix : []) + Array(bytes[position..<end])
                        + (end >= bytes.count ? endOfWordSuffix : [])
                    id = vocabulary.id(piece)
                }
                if let id {
                    if pendingUnknown, let unknownID { ids.append(unknownID) }
                    pendingUnknown = false
                    ids.append(id)
                } else if let byteIDs,
                          plain ? bytes[position..<end].allSatisfy({ byteIDs[Int($0)] >= 0 })
                                : piece.allSatisfy({ byteIDs[Int($0)] >= 0 }) {
                    // Byte fallback takes the bytes of the piece as looked up (affixes included).
                    for byte in plain ? Array(bytes[position..<end]) : piece { ids.append(byteIDs[Int(byte)]) }
                } else if let unknownID {
                    if pendingUnknown, !fusesUnknown { ids.append(unknownID) }
                    pendingUnknown = true
                }
                position = end
            }
        }
        if pendingUnknown, let unknownID { ids.append(unknownID) }
        return ids.enumerated().map { index, id in
            LinkedSymbol(value: id, length: 1, previous: index - 1, next: index + 1 < ids.count ? index + 1 : -1)
        }
    }

    /// Words longer than `LinkedSymbol.maximumLength` bytes (2 GiB) are not encoded.
    func encode(word: [UInt8], into ids: inout [Int]) {
        guard !word.isEmpty, word.count < LinkedSymbol.maximumLength else { return }
        if ignoresMerges, let id = vocabulary.id(word) {
            ids.append(id)
            return
        }
        var symbols = initialSymbols(word)
        guard !symbols.isEmpty else { return }

        // Lowest rank first, then leftmost: the key inverts (rank, position).
        var queue = BinaryHeap<Candidate>(capacity: symbols.count)
        for index in 0..<(symbols.count - 1) {
            if let merge = merges[Self.pairKey(symbols[index].value, symbols[index + 1].value)] {
                Self.push(&queue, index, merge)
            }
        }
        while let top = queue.pop() {
            let left = symbols[top.position]
            guard left.length > 0, left.next >= 0 else { continue }
            let right = symbols[left.next]
            // A stale entry: the pair at this position no longer merges into the same token.
            guard let merge = merges[Self.pairKey(left.value, right.value)], merge.mergedID == top.mergedID else { continue }
            symbols[top.position].value = Int(merge.mergedID)
            symbols[left.next].length = 0
            symbols[top.position].next = right.next
            if right.next >= 0 { symbols[right.next].previous = top.position }
            let current = symbols[top.position]
            if current.previous >= 0,
               let merge = merges[Self.pairKey(symbols[current.previous].value, current.value)] {
                Self.push(&queue, current.previous, merge)
            }
            if current.next >= 0, let merge = merges[Self.pairKey(current.value, symbols[current.next].value)] {
                Self.push(&queue, top.position, merge)
            }
        }
        var index = 0
        while index >= 0, index < symbols.count {
            ids.append(symbols[index].value)
            index = symbols[index].next
        }
    }
}

/// The merges by pair of ids: an open-addressing table with a multiplicative hash, several times faster than
/// a `Dictionary` (SipHash) in the merge loop, which looks a pair up for every candidate.
struct MergeTable: Sendable {
    private var keys: [UInt64]
    private var values: [BPEModel.Merge]
    private let shift: UInt64
    private static let empty = UInt64.max  // ids are below 2³¹, so no pair key has every bit set

    /// A pair given twice keeps its last merge (`HashMap::collect` in tokenizers).
    init(_ merges: [(key: UInt64, merge: BPEModel.Merge)]) {
        var capacity = 16
        while capacity < merges.count * 2 { capacity *= 2 }
        keys = [UInt64](repeating: Self.empty, count: capacity)
        values = [BPEModel.Merge](repeating: BPEModel.Merge(rank: 0, mergedID: 0), count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        for (key, merge) in merges {
            var slot = self.slot(for: key)
            while keys[slot] != Self.empty, keys[slot] != key { slot = (slot + 1) & (capacity - 1) }
            keys[slot] = key
            values[slot] = merge
        }
    }

    @inline(__always)
    private func slot(for key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    @inline(__always)
    subscript(key: UInt64) -> BPEModel.Merge? {
        let mask = keys.count - 1
        var slot = slot(for: key)
        while true {
            let stored = keys[slot]
            if stored == key { return values[slot] }
            if stored == Self.empty { return nil }
            slot = (slot + 1) & mask
        }
    }
}
