/// SentencePiece's BPE segmentation (`bpe_model.cc`, `Model::Encode`): the word starts as characters (a
/// user-defined symbol is one frozen unit); then, repeatedly, the adjacent pair whose concatenation is the
/// highest-scoring vocabulary piece is merged (ties: leftmost). Merges into an unused piece are undone at
/// the end. Symbols left outside the vocabulary are unknown: one id per run, or bytes with byte fallback.
public struct SentencePieceBPEModel: TokenizationModel {
    /// Normal, user-defined and unused pieces (what merges may produce), by UTF-8 text.
    let pieces: PieceTable
    /// Control, unknown and byte pieces (looked up first, as `PieceToId` does).
    let reservedPieces: PieceTable
    let scores: [Float]
    let isUnused: [Bool]
    let userDefinedSymbols: ByteTrie?
    let fallback: UnknownFallback

    public var unknownID: Int { fallback.unknownID }

    init(pieces: PieceTable, reservedPieces: PieceTable, scores: [Float], isUnused: [Bool],
         userDefinedSymbols: ByteTrie?, unknownID: Int, byteIDs: [Int]?) {
        self.pieces = pieces
        self.reservedPieces = reservedPieces
        self.scores = scores
        self.isUnused = isUnused
        self.userDefinedSymbols = userDefinedSymbols
        fallback = UnknownFallback(unknownID: unknownID, byteIDs: byteIDs)
    }

    /// A candidate merge of `left` with its next symbol, into a piece of `length` bytes. The right symbol is
    /// not stored: whenever the pair is still valid it is `left`'s next (a merge that removed it also grew
    /// `left`, which the length check catches).
    private struct Pair {
        let left: Int32
        let length: Int32
    }

    /// The merge loop's state, kept in one struct so the loop runs without closure captures.
    private struct Merger {
        var symbols: [LinkedSymbol] = []
        /// Highest score first, then leftmost.
        var agenda: BinaryHeap<Pair>
        var unusedMerges: [ByteString: (left: Range<Int>, right: Range<Int>)] = [:]

        init(capacity: Int) { agenda = BinaryHeap(capacity: capacity) }

        mutating func addPair(_ left: Int, _ right: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ model: SentencePieceBPEModel) {
            guard left >= 0, right >= 0, !symbols[left].frozen, !symbols[right].frozen else { return }
            let start = symbols[left].value
            let length = symbols[left].length + symbols[right].length
            guard let id = model.pieces.id(bytes, from: start, to: start + length) else { return }
            let key = UInt64(BinaryHeap<Pair>.orderedBits(model.scores[id])) << 32 | UInt64(UInt32.max - UInt32(left))
            agenda.push(Pair(left: Int32(left), length: Int32(length)), key: key)
            if model.isUnused[id] {
                let leftRange = start..<(start + symbols[left].length)
                unusedMerges[ByteString(Array(bytes[start..<(start + length)]))] =
                    (leftRange, leftRange.upperBound..<(start + length))
            }
        }

        mutating func run(_ bytes: UnsafeBufferPointer<UInt8>, _ model: SentencePieceBPEModel) {
            var position = 0
            while position < bytes.count {
                var length = min(UTF8Text.scalarLength(leadByte: bytes[position]), bytes.count - position)
                var frozen = false
                if let match = model.userDefinedSymbols?.longestPrefix(bytes, from: position, to: bytes.count) {
                    length = match.length
                    frozen = true
                }
                let index = symbols.count
                symbols.append(LinkedSymbol(value: position, length: length, previous: index - 1,
                                            next: position + length < bytes.count ? index + 1 : -1, frozen: frozen))
                position += length
            }
            for index in symbols.indices.dropFirst() { addPair(index - 1, index, bytes, model) }
            while let top = agenda.pop() {
                let leftIndex = Int(top.left)
                let left = symbols[leftIndex]
                // Skip pairs made stale by an earlier merge.
                guard left.length > 0, left.next >= 0 else { continue }
                let right = symbols[left.next]
                guard right.length > 0, left.length + right.length == Int(top.length) else { continue }
                symbols[leftIndex].length += right.length
                symbols[left.next].length = 0
                symbols[leftIndex].next = right.next
                if right.next >= 0 { symbols[right.next].previous = leftIndex }
                addPair(symbols[leftIndex].previous, leftIndex, bytes, model)
                addPair(leftIndex, symbols[leftIndex].next, bytes, model)
            }
        }
    }

    /// Words longer than `LinkedSymbol.maximumLength` bytes (2 GiB) are not encoded.
    public func encode(word: [UInt8], into ids: inout [Int]) {
        guard !word.isEmpty, word.count < LinkedSymbol.maximumLength else { return }
        var merger = Merger(capacity: word.count)
        word.withUnsafeBufferPointer { merger.run($0, self) }
        let symbols = merger.symbols, unusedMerges = merger.unusedMerges

        var path: [(start: Int, end: Int, id: Int)] = []
        word.withUnsafeBufferPointer { bytes in
            func resegment(_ range: Range<Int>) {
                let id = pieceID(bytes, range)
                if id != fallback.unknownID, isUnused[id],
                   let parts = unusedMerges[ByteString(Array(bytes[range]))] {
                    resegment(parts.left)
                    resegment(parts.right)
                } else {
                    path.append((range.lowerBound, range.upperBound, id))
                }
            }
            var index = symbols.isEmpty ? -1 : 0
            while index >= 0 {
                resegment(symbols[index].value..<(symbols[index].value + symbols[index].length))
                index = symbols[index].next
            }
        }
        fallback.append(path, of: word, into: &ids) { _ in nil }
    }

    /// `ModelInterface::PieceToId`: reserved pieces first, then the vocabulary, else the unknown id.
    private func pieceID(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        reservedPieces.id(bytes, from: range.lowerBound, to: range.upperBound)
            ?? pieces.id(bytes, from: range.lowerBound, to: range.upperBound) ?? fallback.unknownID
    }
}
