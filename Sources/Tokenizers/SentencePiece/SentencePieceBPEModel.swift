/// SentencePiece's BPE segmentation (`bpe_model.cc`, `Model::Encode`): the word starts as characters (a
/// user-defined symbol is one frozen unit); then, repeatedly, the adjacent pair whose concatenation is the
/// highest-scoring vocabulary piece is merged (ties: leftmost). Merges into an unused piece are undone at
/// the end. Symbols left outside the vocabulary are unknown: one id per run, or bytes with byte fallback.
public struct SentencePieceBPEModel: TokenizationModel {
    /// Normal, user-defined and unused pieces (what merges may produce), by UTF-8 text.
    let pieces: ByteTrie
    /// Control, unknown and byte pieces (looked up first, as `PieceToId` does).
    let reservedPieces: [ByteString: Int]
    let scores: [Float]
    let isUnused: [Bool]
    let userDefinedSymbols: ByteTrie?
    let fallback: UnknownFallback

    public var unknownID: Int { fallback.unknownID }

    init(pieces: ByteTrie, reservedPieces: [ByteString: Int], scores: [Float], isUnused: [Bool],
         userDefinedSymbols: ByteTrie?, unknownID: Int, byteIDs: [Int]?) {
        self.pieces = pieces
        self.reservedPieces = reservedPieces
        self.scores = scores
        self.isUnused = isUnused
        self.userDefinedSymbols = userDefinedSymbols
        fallback = UnknownFallback(unknownID: unknownID, byteIDs: byteIDs)
    }

    private struct Symbol {
        var start: Int
        var length: Int
        var previous: Int
        var next: Int
        var frozen: Bool
    }

    private struct Pair {
        let left: Int
        let right: Int
        let score: Float
        let length: Int
    }

    public func encode(word: [UInt8], into ids: inout [Int]) {
        guard !word.isEmpty else { return }
        var symbols: [Symbol] = []
        var unusedMerges: [ByteString: (left: Range<Int>, right: Range<Int>)] = [:]
        var agenda = BinaryHeap<Pair>(capacity: word.count) { first, second in
            first.score > second.score || (first.score == second.score && first.left < second.left)
        }
        word.withUnsafeBufferPointer { bytes in
            var position = 0
            while position < bytes.count {
                var length = min(UTF8Text.scalarLength(leadByte: bytes[position]), bytes.count - position)
                var frozen = false
                if let match = userDefinedSymbols?.longestPrefix(bytes, from: position, to: bytes.count) {
                    length = match.length
                    frozen = true
                }
                let index = symbols.count
                symbols.append(Symbol(start: position, length: length, previous: index - 1,
                                      next: position + length < bytes.count ? index + 1 : -1, frozen: frozen))
                position += length
            }

            func addPair(_ left: Int, _ right: Int) {
                guard left >= 0, right >= 0, !symbols[left].frozen, !symbols[right].frozen else { return }
                let start = symbols[left].start
                let length = symbols[left].length + symbols[right].length
                guard let id = exactPiece(bytes, start, length) else { return }
                agenda.push(Pair(left: left, right: right, score: scores[id], length: length))
                if isUnused[id] {
                    let leftRange = start..<(start + symbols[left].length)
                    unusedMerges[ByteString(Array(bytes[start..<(start + length)]))] =
                        (leftRange, leftRange.upperBound..<(start + length))
                }
            }

            for index in symbols.indices.dropFirst() { addPair(index - 1, index) }
            while let top = agenda.pop() {
                let left = symbols[top.left], right = symbols[top.right]
                // Skip pairs made stale by an earlier merge.
                guard left.length > 0, right.length > 0, left.length + right.length == top.length else { continue }
                symbols[top.left].length += right.length
                symbols[top.left].next = right.next
                if right.next >= 0 { symbols[right.next].previous = top.left }
                symbols[top.right].length = 0
                addPair(symbols[top.left].previous, top.left)
                addPair(top.left, symbols[top.left].next)
            }
        }

        var path: [(start: Int, end: Int, id: Int)] = []
        func resegment(_ range: Range<Int>) {
            let text = Array(word[range])
            let id = pieceID(text)
            if id != fallback.unknownID, isUnused[id], let parts = unusedMerges[ByteString(text)] {
                resegment(parts.left)
                resegment(parts.right)
            } else {
                path.append((range.lowerBound, range.upperBound, id))
            }
        }
        var index = symbols.isEmpty ? -1 : 0
        while index >= 0 {
            resegment(symbols[index].start..<(symbols[index].start + symbols[index].length))
            index = symbols[index].next
        }
        fallback.append(path, of: word, into: &ids) { _ in nil }
    }

    private func exactPiece(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ length: Int) -> Int? {
        var found: Int?
        pieces.forEachPrefix(bytes, from: start, to: start + length) { matched, id in
            if matched == length { found = id }
            return matched < length
        }
        return found
    }

    /// `ModelInterface::PieceToId`: reserved pieces first, then the vocabulary, else the unknown id.
    private func pieceID(_ text: [UInt8]) -> Int {
        if let id = reservedPieces[ByteString(text)] { return id }
        return pieces.value(for: text) ?? fallback.unknownID
    }
}
