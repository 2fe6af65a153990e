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

    let vocabulary: [ByteString: Int]
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

    private struct Symbol {
        var id: Int
        var previous: Int
        var next: Int
        var removed: Bool
    }

    private struct Candidate {
        let position: Int
        let rank: Int32
        let mergedID: Int32
    }

    func encode(word: [UInt8], into ids: inout [Int]) {
        guard !word.isEmpty else { return }
        if ignoresMerges, let id = vocabulary[ByteString(word)] {
            ids.append(id)
            return
        }
        var symbols: [Symbol] = []
        symbols.reserveCapacity(word.count)
        func add(_ id: Int) {
            symbols.append(Symbol(id: id, previous: symbols.count - 1, next: symbols.count + 1, removed: false))
        }
        var pendingUnknown = false
        var position = 0
        while position < word.count {
            let end = position + UTF8Text.scalarLength(leadByte: word[position])
            var piece = Array(word[position..<min(end, word.count)])
            if position > 0 { piece = continuingSubwordPrefix + piece }
            if end >= word.count { piece += endOfWordSuffix }
            if let id = vocabulary[ByteString(piece)] {
                if pendingUnknown, let unknownID { add(unknownID) }
                pendingUnknown = false
                add(id)
            } else if let byteIDs, piece.allSatisfy({ byteIDs[Int($0)] >= 0 }) {
                // Byte fallback takes the bytes of the piece as looked up (affixes included).
                for byte in piece { add(byteIDs[Int(byte)]) }
            } else if let unknownID {
                if pendingUnknown, !fusesUnknown { add(unknownID) }
                pendingUnknown = true
            }
            position = end
        }
        if pendingUnknown, let unknownID { add(unknownID) }
        guard !symbols.isEmpty else { return }
        symbols[symbols.count - 1].next = -1

        var queue = BinaryHeap<Candidate>(capacity: symbols.count) { first, second in
            first.rank < second.rank || (first.rank == second.rank && first.position < second.position)
        }
        for index in 0..<(symbols.count - 1) {
            if let merge = merges[Self.pairKey(symbols[index].id, symbols[index + 1].id)] {
                queue.push(Candidate(position: index, rank: merge.rank, mergedID: merge.mergedID))
            }
        }
        while let top = queue.pop() {
            let left = symbols[top.position]
            guard !left.removed, left.next >= 0 else { continue }
            let right = symbols[left.next]
            // A stale entry: the pair at this position no longer merges into the same token.
            guard let merge = merges[Self.pairKey(left.id, right.id)], merge.mergedID == top.mergedID else { continue }
            symbols[top.position].id = Int(merge.mergedID)
            symbols[left.next].removed = true
            symbols[top.position].next = right.next
            if right.next >= 0 { symbols[right.next].previous = top.position }
            let current = symbols[top.position]
            if current.previous >= 0,
               let merge = merges[Self.pairKey(symbols[current.previous].id, current.id)] {
                queue.push(Candidate(position: current.previous, rank: merge.rank, mergedID: merge.mergedID))
            }
            if current.next >= 0, let merge = merges[Self.pairKey(current.id, symbols[current.next].id)] {
                queue.push(Candidate(position: top.position, rank: merge.rank, mergedID: merge.mergedID))
            }
        }
        var index = 0
        while index >= 0, index < symbols.count {
            ids.append(symbols[index].id)
            index = symbols[index].next
        }
    }
}
