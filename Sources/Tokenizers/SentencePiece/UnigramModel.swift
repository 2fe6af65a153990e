/// Unigram language-model segmentation: the Viterbi path through every way of cutting a word into vocabulary
/// pieces, scored by the pieces' log-probabilities. A character no piece starts with becomes the unknown
/// piece, scored `min score − 10`. Two sets of rules, because the two reference implementations differ:
/// - `.sentencePiece` (`unigram_model.cc`, `Model::Encode`): float scores; only normal, user-defined and
///   unused pieces are in the lattice (unused ones never chosen); a user-defined piece scores
///   `length · max score − 0.1` so it always wins; consecutive unknown characters become one unknown id,
///   or their UTF-8 bytes as `<0xNN>` pieces with byte fallback (`SentencePieceProcessor::Encode`).
/// - `.huggingFace` (tokenizers' `Unigram::encode_optimized`): double scores; every vocabulary entry is in
///   the lattice; consecutive unknown characters are fused, then looked up, then byte-fallen-back (only if
///   every byte piece exists), else the unknown id.
public struct UnigramModel: TokenizationModel {
    public enum Rules: Sendable { case sentencePiece, huggingFace }

    enum PieceKind: UInt8 { case normal, userDefined, unused }

    let rules: Rules
    let trie: ByteTrie
    let scores: [Double]
    let floatScores: [Float]
    let kinds: [PieceKind]
    public var unknownID: Int { fallback.unknownID }
    let fallback: UnknownFallback
    private let unknownScore: Double
    private let maximumScore: Float

    /// - Parameters:
    ///   - pieces: (UTF-8 text, score, kind, id) of every piece the lattice may use.
    ///   - minimumScore, maximumScore: over the pieces that define them for these rules.
    init(rules: Rules, pieces: [(text: [UInt8], score: Double, kind: PieceKind, id: Int)], vocabularySize: Int,
         unknownID: Int, byteIDs: [Int]?, minimumScore: Double, maximumScore: Float) {
        self.rules = rules
        trie = ByteTrie(pieces.map { ($0.text, $0.id) })
        var scores = [Double](repeating: 0, count: vocabularySize)
        var kinds = [PieceKind](repeating: .normal, count: vocabularySize)
        for piece in pieces {
            scores[piece.id] = piece.score
            kinds[piece.id] = piece.kind
        }
        self.scores = scores
        floatScores = scores.map { Float($0) }
        self.kinds = kinds
        fallback = UnknownFallback(unknownID: unknownID, byteIDs: byteIDs)
        self.maximumScore = maximumScore
        switch rules {
        case .sentencePiece: unknownScore = Double(Float(minimumScore) - 10)
        case .huggingFace: unknownScore = minimumScore - 10
        }
    }

    public func encode(word: [UInt8], into ids: inout [Int]) {
        guard !word.isEmpty else { return }
        let path: [(start: Int, end: Int, id: Int)]
        switch rules {
        case .sentencePiece: path = bestPath(word, scores: floatScores, unknownScore: Float(unknownScore))
        case .huggingFace: path = bestPath(word, scores: scores, unknownScore: unknownScore)
        }
        fallback.append(path, of: word, into: &ids) { rules == .huggingFace ? trie.value(for: $0) : nil }
    }

    private struct Node<Score> {
        var score: Score
        var start: Int
        var id: Int
    }

    /// Forward pass over end positions, then backtracking from the end (the shared shape of both
    /// implementations; ties keep the first candidate, which is the longest piece ending there).
    private func bestPath<Score: BinaryFloatingPoint>(_ word: [UInt8], scores: [Score], unknownScore: Score)
        -> [(start: Int, end: Int, id: Int)] {
        let size = word.count
        var best = [Node<Score>](repeating: Node(score: 0, start: -1, id: -1), count: size + 1)
        word.withUnsafeBufferPointer { bytes in
            scores.withUnsafeBufferPointer { scores in
                var start = 0
                while start < size {
                    let scoreHere = best[start].score
                    let characterLength = min(UTF8Text.scalarLength(leadByte: bytes[start]), size - start)
                    var hasSingleCharacter = false
                    trie.forEachPrefix(bytes, from: start, to: size) { length, id in
                        let kind = kinds[id]
                        if kind == .unused, rules == .sentencePiece { return true }
                        let end = start + length
                        if kind == .userDefined, rules == .sentencePiece {
                            // C++ promotes `length * max_score_ - 0.1` to double, then stores a float.
                            let candidate = Double(Float(length) * maximumScore) - 0.1 + Double(scoreHere)
                            if best[end].start < 0 || candidate > Double(best[end].score) {
                                best[end] = Node(score: Score(candidate), start: start, id: id)
                            }
                        } else {
                            let candidate = scores[id] + scoreHere
                            if best[end].start < 0 || candidate > best[end].score {
                                best[end] = Node(score: candidate, start: start, id: id)
                            }
                        }
                        if length == characterLength { hasSingleCharacter = true }
                        return true
                    }
                    if !hasSingleCharacter {
                        let end = start + characterLength
                        let candidate = unknownScore + scoreHere
                        if best[end].start < 0 || candidate > best[end].score {
                            best[end] = Node(score: candidate, start: start, id: unknownID)
                        }
                    }
                    start += characterLength
                }
            }
        }
        var path: [(start: Int, end: Int, id: Int)] = []
        var end = size
        while end > 0 {
            let node = best[end]
            guard node.start >= 0, node.start < end else { break }
            path.append((node.start, end, node.id))
            end = node.start
        }
        return path.reversed()
    }
}

/// What a run of unknown characters becomes: the id of the whole run when `lookup` knows it (Hugging Face's
/// fused unknown token looked up again), else its UTF-8 bytes as `<0xNN>` pieces when byte fallback is on
/// and every byte has a piece, else one unknown id.
struct UnknownFallback: Sendable {
    let unknownID: Int
    /// Id of each `<0xNN>` piece (256 entries, −1 where absent), or nil without byte fallback.
    let byteIDs: [Int]?

    func append(_ path: [(start: Int, end: Int, id: Int)], of word: [UInt8], into ids: inout [Int],
                lookup: ([UInt8]) -> Int?) {
        var index = 0
        while index < path.count {
            guard path[index].id == unknownID else {
                ids.append(path[index].id)
                index += 1
                continue
            }
            let start = path[index].start
            while index < path.count, path[index].id == unknownID { index += 1 }
            let bytes = Array(word[start..<path[index - 1].end])
            if let id = lookup(bytes) {
                ids.append(id)
            } else if let byteIDs, byteIDs.count == 256, bytes.allSatisfy({ byteIDs[Int($0)] >= 0 }) {
                for byte in bytes { ids.append(byteIDs[Int(byte)]) }
            } else {
                ids.append(unknownID)
            }
        }
    }
}
