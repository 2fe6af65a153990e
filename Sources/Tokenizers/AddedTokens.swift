/// A token matched in the raw text before tokenization (special tokens such as `</s>`, and user-added ones),
/// with tokenizers' `AddedToken` options.
public struct AddedToken: Sendable, Equatable {
    public var id: Int
    public var content: String
    /// Only matched as a whole word.
    public var singleWord = false
    /// Swallows the whitespace on its left / right.
    public var leftStrip = false
    public var rightStrip = false
    /// Matched in the normalized text rather than the raw text (tokenizers).
    public var normalized = false
    public var special = true

    public init(id: Int, content: String, singleWord: Bool = false, leftStrip: Bool = false,
                rightStrip: Bool = false, normalized: Bool = false, special: Bool = true) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.leftStrip = leftStrip
        self.rightStrip = rightStrip
        self.normalized = normalized
        self.special = special
    }
}

/// Cuts text at added tokens, leftmost match first and the longest there.
struct AddedTokenSplitter: Sendable {
    /// `.huggingFace`: tokenizers' `AddedVocabulary::find_matches` (Unicode `\s`/`\w`, a match that is not a
    /// single word is skipped). `.transformers`: `PreTrainedTokenizer.tokenize` after `tokens_trie.split`
    /// (Python's `str.strip` whitespace; a token that is not a single word joins its neighbour's text).
    enum Rules: Sendable { case huggingFace, transformers }

    enum Segment: Equatable {
        /// Text, with its byte offset in the input.
        case text([UInt8], offset: Int)
        case token(Int)
    }

    let tokens: [AddedToken]
    let rules: Rules
    private let trie: ByteTrie

    init(_ tokens: [AddedToken], rules: Rules) {
        self.tokens = tokens
        self.rules = rules
        trie = ByteTrie(tokens.enumerated().map { (Array($0.element.content.utf8), $0.offset) })
    }

    var isEmpty: Bool { trie.isEmpty }

    /// Leftmost-longest matches: (byte range, token index).
    private func matches(_ text: [UInt8]) -> [(range: Range<Int>, token: Int)] {
        guard !trie.isEmpty else { return [] }
        var found: [(range: Range<Int>, token: Int)] = []
        text.withUnsafeBufferPointer { bytes in
            var position = 0
            while position < bytes.count {
                if let match = trie.longestPrefix(bytes, from: position, to: bytes.count) {
                    found.append((position..<(position + match.length), match.value))
                    position += match.length
                } else {
                    position += 1
                }
            }
        }
        return found
    }

    func split(_ text: [UInt8]) -> [Segment] {
        switch rules {
        case .huggingFace: return splitLikeTokenizers(text)
        case .transformers: return splitLikeTransformers(text)
        }
    }

    private func splitLikeTokenizers(_ text: [UInt8]) -> [Segment] {
        var segments: [Segment] = []
        var startOffset = 0
        for match in matches(text) {
            let token = tokens[match.token]
            var start = match.range.lowerBound, stop = match.range.upperBound
            if token.singleWord {
                let before = UTF8Text.scalars(Array(text[..<start])).last
                let after = UTF8Text.scalars(Array(text[stop...])).first
                if before.map(UnicodeClasses.isWordCharacter) == true || after.map(UnicodeClasses.isWordCharacter) == true {
                    continue
                }
            }
            if token.leftStrip {
                var scalars = UTF8Text.scalars(Array(text[..<start]))
                while let last = scalars.last, last.properties.isWhitespace {
                    start -= UTF8.width(last)
                    scalars.removeLast()
                }
            }
            start = max(start, startOffset)
            if token.rightStrip {
                for scalar in UTF8Text.scalars(Array(text[stop...])) {
                    guard scalar.properties.isWhitespace else { break }
                    stop += UTF8.width(scalar)
                }
            }
            if startOffset < start { segments.append(.text(Array(text[startOffset..<start]), offset: startOffset)) }
            segments.append(.token(token.id))
            startOffset = stop
        }
        if startOffset < text.count || segments.isEmpty {
            segments.append(.text(Array(text[startOffset...]), offset: startOffset))
        }
        return segments
    }

    private enum Piece {
        case text([Unicode.Scalar])
        case token(Int)
    }

    private func splitLikeTransformers(_ text: [UInt8]) -> [Segment] {
        var pieces: [Piece] = []
        var previous = 0
        for match in matches(text) {
            if previous < match.range.lowerBound {
                pieces.append(.text(UTF8Text.scalars(Array(text[previous..<match.range.lowerBound]))))
            }
            pieces.append(.token(match.token))
            previous = match.range.upperBound
        }
        if previous < text.count { pieces.append(.text(UTF8Text.scalars(Array(text[previous...])))) }
        func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool { CharacterTables.isPythonWhitespace(scalar) }
        for index in pieces.indices {
            guard case .token(let tokenIndex) = pieces[index] else { continue }
            let token = tokens[tokenIndex]
            if token.rightStrip, index + 1 < pieces.count, case .text(let right) = pieces[index + 1] {
                pieces[index + 1] = .text(Array(right.drop(while: isPythonSpace)))
            }
            if token.leftStrip, index > 0, case .text(let left) = pieces[index - 1] {
                pieces[index - 1] = .text(Array(left.reversed().drop(while: isPythonSpace).reversed()))
            }
            let content = Array(token.content.unicodeScalars)
            if token.singleWord, index > 0, case .text(let left) = pieces[index - 1], let last = left.last, last != " " {
                pieces[index - 1] = .text(left + content)
                pieces[index] = .text([])
            } else if token.singleWord, index + 1 < pieces.count, case .text(let right) = pieces[index + 1],
                      let first = right.first, first != " " {
                pieces[index] = .text(content + right)
                pieces[index + 1] = .text([])
            }
        }
        return pieces.compactMap { piece in
            switch piece {
            case .token(let index): return .token(tokens[index].id)
            case .text(let scalars):
                return scalars.isEmpty ? nil : .text(UTF8Text.bytes(scalars), offset: 0)
            }
        }
    }
}
