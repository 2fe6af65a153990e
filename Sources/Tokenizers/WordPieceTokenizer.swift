import Foundation

/// transformers' `BertTokenizer` (4.46): special tokens written in the text are kept whole, the rest goes
/// through `BasicTokenizer` then greedy longest-match WordPiece (`##` continuations, `[UNK]` for a word
/// with no split or longer than 100 characters); `encode` frames with [CLS] … [SEP] and truncates.
public final class WordPieceTokenizer: Sendable {
    /// Chinese-CLIP's text length when a folder does not say otherwise (cn_clip's `context_length`).
    public static let chineseCLIPContextLength = 52
    public static let maximumCharactersPerWord = 100

    public let basicTokenizer: BasicTokenizer
    public let contextLength: Int
    public let vocabulary: [String: Int]
    public let unknownTokenID: Int
    public let classTokenID: Int
    public let separatorTokenID: Int
    public let paddingTokenID: Int
    /// Special tokens recognised verbatim in input text, longest first (the slow tokenizer's trie).
    let verbatimTokens: [[Unicode.Scalar]]
    private let tokensByID: [String]

    public var vocabularySize: Int { tokensByID.count }

    /// - Parameters:
    ///   - vocabularyFile: `vocab.txt`, one token per line, the line number being the id.
    ///   - contextLength: the longest framed sequence `encode` returns (at least 2).
    public init(vocabularyFile: URL, basicTokenizer: BasicTokenizer = BasicTokenizer(),
                contextLength: Int = WordPieceTokenizer.chineseCLIPContextLength,
                unknownToken: String = "[UNK]", classToken: String = "[CLS]", separatorToken: String = "[SEP]",
                paddingToken: String = "[PAD]", maskToken: String = "[MASK]") throws {
        let path = vocabularyFile.path
        let tokens = try Self.readVocabulary(vocabularyFile)
        guard contextLength >= 2 else {
            throw TokenizerError.invalidConfiguration(path: path, reason: "context length \(contextLength) leaves no room for [CLS] and [SEP]")
        }
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(tokens.count)
        // BertTokenizer's load_vocab: a repeated line takes the later id.
        for (index, token) in tokens.enumerated() { vocabulary[token] = index }
        func id(_ token: String) throws -> Int {
            guard let id = vocabulary[token] else { throw TokenizerError.missingSpecialToken(path: path, token: token) }
            return id
        }
        unknownTokenID = try id(unknownToken)
        classTokenID = try id(classToken)
        separatorTokenID = try id(separatorToken)
        paddingTokenID = try id(paddingToken)
        let specials = [unknownToken, separatorToken, paddingToken, classToken, maskToken]
        verbatimTokens = specials.filter { vocabulary[$0] != nil }.map { Array($0.unicodeScalars) }
            .sorted { $0.count > $1.count }
        self.vocabulary = vocabulary
        self.basicTokenizer = basicTokenizer
        self.contextLength = contextLength
        tokensByID = tokens
    }

    /// A Hugging Face folder: `vocab.txt` and optionally `tokenizer_config.json` (do_lower_case,
    /// strip_accents, tokenize_chinese_chars, model_max_length, special token names).
    /// - Parameter maximumContextLength: the model's position count; caps model_max_length.
    public convenience init(directory: URL, defaultContextLength: Int = WordPieceTokenizer.chineseCLIPContextLength,
                            maximumContextLength: Int? = nil) throws {
        let settings = try WordPieceSettings(directory: directory)
        var length = settings.modelMaximumLength ?? defaultContextLength
        if let maximumContextLength { length = min(length, maximumContextLength) }
        try self.init(
            vocabularyFile: directory.appendingPathComponent("vocab.txt"), basicTokenizer: settings.basicTokenizer,
            contextLength: length, unknownToken: settings.unknownToken, classToken: settings.classToken,
            separatorToken: settings.separatorToken, paddingToken: settings.paddingToken, maskToken: settings.maskToken)
    }

    /// Token ids framed as [CLS] … [SEP], truncated to `contextLength` (the end is dropped, [SEP] kept).
    public func encode(_ text: String) -> [Int] {
        let body = tokenIDs(text)
        return [classTokenID] + body.prefix(contextLength - 2) + [separatorTokenID]
    }

    public func encodeBatch(_ texts: [String]) -> [[Int]] { texts.map(encode) }

    /// Ids without framing or truncation.
    public func tokenIDs(_ text: String) -> [Int] {
        tokenize(text).map { vocabulary[$0] ?? unknownTokenID }
    }

    /// The WordPiece tokens of a text (BertTokenizer.tokenize), without framing.
    public func tokenize(_ text: String) -> [String] {
        var output: [String] = []
        for segment in splitOnVerbatimTokens(Array(text.unicodeScalars)) {
            switch segment {
            case .special(let token):
                output.append(token)
            case .text(let scalars):
                for word in basicTokenizer.tokenize(String(String.UnicodeScalarView(scalars))) {
                    output += wordPieces(word)
                }
            }
        }
        return output
    }

    /// Token strings for ids (unknown ids become the [UNK] token).
    public func tokens(for ids: [Int]) -> [String] {
        ids.map { $0 >= 0 && $0 < tokensByID.count ? tokensByID[$0] : tokensByID[unknownTokenID] }
    }

    /// Greedy longest-match-first: the longest vocabulary prefix, then `##`-prefixed continuations.
    func wordPieces(_ word: String) -> [String] {
        let scalars = Array(word.unicodeScalars)
        let unknown = tokensByID[unknownTokenID]
        guard scalars.count <= Self.maximumCharactersPerWord else { return [unknown] }
        var pieces: [String] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: String?
            while start < end {
                var candidate = String(String.UnicodeScalarView(scalars[start..<end]))
                if start > 0 { candidate = "##" + candidate }
                if vocabulary[candidate] != nil {
                    found = candidate
                    break
                }
                end -= 1
            }
            guard let piece = found else { return [unknown] }
            pieces.append(piece)
            start = end
        }
        return pieces
    }

    enum Segment: Equatable {
        case text([Unicode.Scalar])
        case special(String)
    }

    /// Splits out special tokens written in the text, leftmost and longest first; text around them is kept.
    func splitOnVerbatimTokens(_ scalars: [Unicode.Scalar]) -> [Segment] {
        var segments: [Segment] = []
        var pending: [Unicode.Scalar] = []
        var index = 0
        outer: while index < scalars.count {
            if scalars[index] == "[" || scalars[index] == "<" {
                for token in verbatimTokens where index + token.count <= scalars.count
                    && scalars[index..<(index + token.count)].elementsEqual(token) {
                    if !pending.isEmpty { segments.append(.text(pending)) }
                    pending = []
                    segments.append(.special(String(String.UnicodeScalarView(token))))
                    index += token.count
                    continue outer
                }
            }
            pending.append(scalars[index])
            index += 1
        }
        if !pending.isEmpty { segments.append(.text(pending)) }
        return segments
    }

    /// Lines of vocab.txt as Python's text mode reads them (universal newlines; empty lines are tokens).
    static func readVocabulary(_ url: URL) throws -> [String] {
        let data = try VocabularyFiles.readData(url)
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError.unreadableFile(path: url.path, reason: "not valid UTF-8")
        }
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { throw TokenizerError.invalidConfiguration(path: url.path, reason: "empty vocabulary") }
        return lines
    }
}
