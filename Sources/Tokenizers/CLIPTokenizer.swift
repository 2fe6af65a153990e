import Foundation

/// OpenAI CLIP's byte-level BPE tokenizer (`simple_tokenizer.py`), loaded from the Hugging Face file layout.
/// Pipeline: `TextNormalizer` → `PreTokenizer` → UTF-8 bytes (`ByteLevelEncoding`) → `BytePairEncoder`.
public final class CLIPTokenizer: Sendable {
    public static let defaultContextLength = 77

    /// Longest id sequence `encode` returns, start and end tokens included.
    public let contextLength: Int
    public let startTokenID: Int
    public let endTokenID: Int
    /// Number of entries in the vocabulary.
    public let vocabularySize: Int

    private let normalizer = TextNormalizer()
    private let preTokenizer = PreTokenizer()
    private let bytePairEncoder: BytePairEncoder
    private let tokensByID: [String?]
    private static let startScalars = Array(PreTokenizer.startOfTextToken.unicodeScalars)
    private static let endScalars = Array(PreTokenizer.endOfTextToken.unicodeScalars)

    /// Loads `vocab.json` and `merges.txt` from `directory`, and the context length from
    /// `tokenizer_config.json`'s `model_max_length` when that file exists (otherwise 77).
    public convenience init(directory: URL) throws {
        let configuration = directory.appendingPathComponent("tokenizer_config.json")
        var contextLength = Self.defaultContextLength
        if FileManager.default.fileExists(atPath: configuration.path),
           let configured = try VocabularyFiles.readContextLength(configuration) {
            contextLength = configured
        }
        try self.init(
            vocabularyFile: directory.appendingPathComponent("vocab.json"),
            mergesFile: directory.appendingPathComponent("merges.txt"),
            contextLength: contextLength)
    }

    public init(vocabularyFile: URL, mergesFile: URL, contextLength: Int = CLIPTokenizer.defaultContextLength) throws {
        guard contextLength >= 2 else {
            throw TokenizerError.invalidConfiguration(
                path: vocabularyFile.path, reason: "context length must be at least 2, got \(contextLength)")
        }
        let vocabulary = try VocabularyFiles.readVocabulary(vocabularyFile)
        let vocabularyPath = vocabularyFile.path
        guard let largestID = vocabulary.values.max(), largestID < Int(Int32.max) else {
            throw TokenizerError.invalidConfiguration(
                path: vocabularyPath, reason: "vocabulary is empty or has ids beyond 2^31")
        }

        func byteID(_ byte: UInt8, endOfWord: Bool) throws -> Int32 {
            let symbol = ByteLevelEncoding.symbol(forByte: byte, endOfWord: endOfWord)
            guard let id = vocabulary[symbol] else {
                let role = endOfWord ? "end-of-word symbol" : "symbol"
                throw TokenizerError.missingToken(
                    path: vocabularyPath, token: symbol,
                    reason: "byte-level \(role) of byte 0x\(String(byte, radix: 16, uppercase: true))")
            }
            return Int32(id)
        }
        let byteIDs = try (0...255).map { try byteID(UInt8($0), endOfWord: false) }
        let endOfWordByteIDs = try (0...255).map { try byteID(UInt8($0), endOfWord: true) }
        guard let startID = vocabulary[PreTokenizer.startOfTextToken] else {
            throw TokenizerError.missingSpecialToken(path: vocabularyPath, token: PreTokenizer.startOfTextToken)
        }
        guard let endID = vocabulary[PreTokenizer.endOfTextToken] else {
            throw TokenizerError.missingSpecialToken(path: vocabularyPath, token: PreTokenizer.endOfTextToken)
        }

        let mergeLines = try VocabularyFiles.readMerges(mergesFile)
        var merges: [(Int32, Int32, Int32)] = []
        merges.reserveCapacity(mergeLines.count)
        for merge in mergeLines {
            func id(_ token: String) throws -> Int32 {
                guard let id = vocabulary[token] else {
                    throw TokenizerError.unknownMergeToken(path: mergesFile.path, line: merge.line, token: token)
                }
                return Int32(id)
            }
            let left = String(merge.left)
            let right = String(merge.right)
            merges.append((try id(left), try id(right), try id(left + right)))
        }

        var tokensByID = [String?](repeating: nil, count: largestID + 1)
        for (token, id) in vocabulary { tokensByID[id] = token }
        self.tokensByID = tokensByID
        self.bytePairEncoder = BytePairEncoder(byteIDs: byteIDs, endOfWordByteIDs: endOfWordByteIDs, merges: merges)
        self.contextLength = contextLength
        self.startTokenID = startID
        self.endTokenID = endID
        self.vocabularySize = vocabulary.count
    }

    /// Start token, the text's tokens, end token; no padding. Sequences longer than `contextLength` are
    /// cut to `contextLength` ids whose last one is replaced by the end token, as open_clip does.
    public func encode(_ text: String) -> [Int] {
        let scalars = normalizer.normalizedScalars(text)
        var ids = [startTokenID]
        var wordBytes: [UInt8] = []
        for range in preTokenizer.split(scalars: scalars) {
            let word = scalars[range]
            if word.elementsEqual(Self.startScalars) {
                ids.append(startTokenID)
                continue
            }
            if word.elementsEqual(Self.endScalars) {
                ids.append(endTokenID)
                continue
            }
            wordBytes.removeAll(keepingCapacity: true)
            for scalar in word { UTF8.encode(scalar) { wordBytes.append($0) } }
            bytePairEncoder.encode(wordBytes: wordBytes, into: &ids)
        }
        ids.append(endTokenID)
        if ids.count > contextLength {
            ids.removeSubrange(contextLength...)
            ids[contextLength - 1] = endTokenID
        }
        return ids
    }

    public func encodeBatch(_ texts: [String]) -> [[Int]] {
        texts.map(encode)
    }

    /// Text of `ids`: token symbols → bytes → UTF-8 (invalid sequences become U+FFFD), `</w>` → space.
    /// Ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard id >= 0, id < tokensByID.count, let token = tokensByID[id] else { continue }
            for scalar in token.unicodeScalars {
                if let byte = ByteLevelEncoding.byteForScalar[scalar] { bytes.append(byte) }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
            .replacingOccurrences(of: BytePairEncoder.endOfWordSuffix, with: " ")
    }
}
