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

    let vocabulary: ByteTrie
    let merges: [UInt64: Merge]
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
        let position: Int
        let mergedID: Int32
    }

    @inline(__always)
    private static func push(_ queue: inout BinaryHeap<Candidate>, _ position: Int, _ merge: Merge) {
        let key = ~(UInt64(UInt32(bitPattern: merge.rank)) << 32 | UInt64(UInt32(truncatingIfNeeded: position)))
        queue.push(Candidate(position: position, mergedID: merge.mergedID), key: key)
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
                    id = vocabulary.value(bytes, from: position, to: end)
                } else {
                    piece = (position > 0 ? continuingSubwordPrefix : []) + Array(bytes[position..<end])
                        + (end >= bytes.count ? endOfWordSuffix : [])
                    id = vocabulary.value(for: piece)
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

    func encode(word: [UInt8], into ids: inout [Int]) {
        guard !word.isEmpty else { return }
        if ignoresMerges, let id = vocabulary.value(for: word) {
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
