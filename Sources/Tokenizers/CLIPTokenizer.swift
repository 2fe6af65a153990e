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
    /// Raw bytes each id stands for (its byte-level symbols mapped back), for `decode`.
    private let bytesByID: [[UInt8]?]
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
        // Ids index dense tables, so a stray huge id must not trigger a giant allocation.
        guard let largestID = vocabulary.values.max(), largestID < 8 * vocabulary.count + 1024 else {
            throw TokenizerError.invalidConfiguration(
                path: vocabularyPath, reason: "vocabulary is empty or its ids are far from dense (0..<count)")
        }

        func byteID(_ byte: UInt8, endOfWord: Bool) throws -> Int32 {
            let symbol = ByteLevelEncoding.symbol(forByte: byte, endOfWord: endOfWord)
            guard let id = vocabulary[ByteString(symbol)] else {
                let role = endOfWord ? "end-of-word symbol" : "symbol"
                throw TokenizerError.missingToken(
                    path: vocabularyPath, token: symbol,
                    reason: "byte-level \(role) of byte 0x\(String(byte, radix: 16, uppercase: true))")
            }
            return Int32(id)
        }
        let byteIDs = try (0...255).map { try byteID(UInt8($0), endOfWord: false) }
        let endOfWordByteIDs = try (0...255).map { try byteID(UInt8($0), endOfWord: true) }
        guard let startID = vocabulary[ByteString(PreTokenizer.startOfTextToken)] else {
            throw TokenizerError.missingSpecialToken(path: vocabularyPath, token: PreTokenizer.startOfTextToken)
        }
        guard let endID = vocabulary[ByteString(PreTokenizer.endOfTextToken)] else {
            throw TokenizerError.missingSpecialToken(path: vocabularyPath, token: PreTokenizer.endOfTextToken)
        }

        let mergeLines = try VocabularyFiles.readMerges(mergesFile)
        var merges: [(Int32, Int32, Int32)] = []
        merges.reserveCapacity(mergeLines.count)
        for merge in mergeLines {
            func id(_ token: [UInt8]) throws -> Int32 {
                guard let id = vocabulary[ByteString(token)] else {
                    throw TokenizerError.unknownMergeToken(
                        path: mergesFile.path, line: merge.line, token: String(decoding: token, as: UTF8.self))
                }
                return Int32(id)
            }
            merges.append((try id(merge.left), try id(merge.right), try id(merge.left + merge.right)))
        }

        var bytesByID = [[UInt8]?](repeating: nil, count: largestID + 1)
        for (token, id) in vocabulary {
            bytesByID[id] = ByteLevelEncoding.bytes(fromSymbolUTF8: token.bytes)
        }
        self.bytesByID = bytesByID
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

    /// The same stages as a generic pipeline (normalizer, pre-tokenizer, byte-pair model, start/end framing),
    /// for code written against the stage protocols. `encode` stays a fused loop; unlike it, the pipeline
    /// neither truncates nor maps special tokens written inside the text to their ids.
    public var pipeline: TokenizerPipeline {
        TokenizerPipeline(normalizer: normalizer, preTokenizer: preTokenizer, model: bytePairEncoder,
                          postProcessor: TemplatePostProcessor(prefix: [startTokenID], suffix: [endTokenID]))
    }

    /// Text of `ids`: token symbols → bytes → UTF-8 (invalid sequences become U+FFFD), `</w>` → space.
    /// Ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard id >= 0, id < bytesByID.count, let tokenBytes = bytesByID[id] else { continue }
            bytes.append(contentsOf: tokenBytes)
        }
        // Replacing the ASCII marker in the bytes equals Python's replace after decoding (invalid UTF-8 never
        // swallows ASCII bytes), and avoids String's grapheme-based matching, which misses `</w>` when a
        // combining mark follows it.
        let marker = Array(BytePairEncoder.endOfWordSuffix.utf8)
        var cleaned: [UInt8] = []
        cleaned.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == marker[0], index + marker.count <= bytes.count,
               bytes[index..<(index + marker.count)].elementsEqual(marker) {
                cleaned.append(UInt8(ascii: " "))
                index += marker.count
            } else {
                cleaned.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: cleaned, as: UTF8.self)
    }
}
