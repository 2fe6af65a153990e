import Foundation

/// A tokenizer read from a Hugging Face `tokenizer.json` with a Unigram or BPE model (T5, SigLIP, SigLIP 2 /
/// Gemma, XLM-RoBERTa, Llama-style files), encoding as tokenizers 0.20 does: added tokens are cut out of the
/// raw text, each stretch between them is normalized (tokens marked `normalized` are then cut out of the
/// normalized text), pre-tokenized and encoded; the ids are truncated, framed by the post-processor and padded.
public final class HuggingFaceTokenizer: TextTokenizing {
    public let pipeline: TokenizerPipeline
    public let shape: SequenceShape
    public let addedTokens: [AddedToken]
    public let vocabularySize: Int
    private let rawTokens: AddedTokenSplitter
    private let normalizedTokens: AddedTokenSplitter
    private let idsByToken: [String: Int]

    /// The longest sequence `encode` returns (Int.max when the file and configuration set no limit).
    public var contextLength: Int { shape.maximumLength ?? Int.max }
    public var paddingID: Int? { shape.paddedLength == nil ? nil : shape.paddingID }

    /// - Parameters:
    ///   - shape: truncation and padding; nil uses the file's own `truncation`/`padding` sections.
    ///   - lowercasesFirst: put tokenizers' `Lowercase` before the file's normalizer (transformers'
    ///     `Siglip2Tokenizer` does so for SigLIP 2, whose text was lower-cased in training).
    public init(contentsOf url: URL, shape: SequenceShape? = nil, lowercasesFirst: Bool = false) throws {
        let (reader, root) = try TokenizerJSONReader.open(url)
        var normalizer = try reader.normalizer(root["normalizer"], "normalizer")
        if lowercasesFirst { normalizer = NormalizerSequence([LowercaseNormalizer()] + (normalizer.map { [$0] } ?? [])) }
        let preTokenizer = try reader.preTokenizer(root["pre_tokenizer"], "pre_tokenizer")
        let (model, vocabulary) = try Self.model(reader, root["model"])
        let postProcessor = try reader.postProcessor(root["post_processor"], "post_processor")
        let added = try reader.addedTokens(root["added_tokens"])
        var tokenIDs = vocabulary
        for token in added { tokenIDs[token.content] = token.id }
        let largest = tokenIDs.values.max() ?? 0
        guard largest < 8 * (tokenIDs.count + 1024) else {
            throw reader.failure("model.vocab", "ids are far from dense (largest \(largest))")
        }
        pipeline = TokenizerPipeline(normalizer: normalizer, preTokenizer: preTokenizer, model: model,
                                     postProcessor: postProcessor)
        self.shape = try shape ?? reader.shape(truncation: root["truncation"], padding: root["padding"])
        addedTokens = added
        rawTokens = AddedTokenSplitter(added.filter { !$0.normalized }, rules: .huggingFace)
        // Tokens matched after normalization are looked for in their normalized spelling.
        normalizedTokens = AddedTokenSplitter(added.filter(\.normalized).map { token in
            var normalizedToken = token
            let bytes = normalizer?.normalize(Array(token.content.utf8)) ?? Array(token.content.utf8)
            normalizedToken.content = String(decoding: bytes, as: UTF8.self)
            return normalizedToken
        }.filter { !$0.content.isEmpty }, rules: .huggingFace)
        idsByToken = tokenIDs
        vocabularySize = largest + 1
    }

    /// The same tokenizer with another truncation and padding.
    public func reshaped(_ shape: SequenceShape) -> HuggingFaceTokenizer {
        HuggingFaceTokenizer(copying: self, shape: shape)
    }

    private init(copying other: HuggingFaceTokenizer, shape: SequenceShape) {
        pipeline = other.pipeline
        self.shape = shape
        addedTokens = other.addedTokens
        vocabularySize = other.vocabularySize
        rawTokens = other.rawTokens
        normalizedTokens = other.normalizedTokens
        idsByToken = other.idsByToken
    }

    /// The Unigram or BPE model, with the vocabulary by token text.
    private static func model(_ reader: TokenizerJSONReader, _ value: Any?) throws -> (any TokenizationModel, [String: Int]) {
        let object = try reader.object(value, "model")
        let type = object["type"] as? String ?? (object["merges"] != nil ? "BPE" : "Unigram")
        switch type {
        case "Unigram": return try unigram(reader, object)
        case "BPE": return try bytePair(reader, object)
        default: throw reader.failure("model.type", "model \(type.debugDescription) is not supported (Unigram and BPE are)")
        }
    }

    private static func byteIDs(_ vocabulary: [String: Int]) -> [Int] {
        (0..<256).map { vocabulary[ByteFallbackPiece.name(UInt8($0))] ?? -1 }
    }

    private static func unigram(_ reader: TokenizerJSONReader, _ object: [String: Any]) throws
        -> (any TokenizationModel, [String: Int]) {
        let entries = try reader.array(object["vocab"], "model.vocab")
        guard !entries.isEmpty else { throw reader.failure("model.vocab", "empty vocabulary") }
        var pieces: [(text: [UInt8], score: Double, kind: UnigramModel.PieceKind, id: Int)] = []
        pieces.reserveCapacity(entries.count)
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(entries.count)
        var minimum = Double.infinity
        for (id, entry) in entries.enumerated() {
            guard let pair = entry as? [Any], pair.count == 2 else {
                throw reader.failure("model.vocab[\(id)]", "expected [piece, score]")
            }
            let text = try reader.string(pair[0], "model.vocab[\(id)][0]")
            let score = try reader.number(pair[1], "model.vocab[\(id)][1]")
            pieces.append((Array(text.utf8), score, .normal, id))
            vocabulary[text] = id
            minimum = min(minimum, score)
        }
        guard let unknown = object["unk_id"], !(unknown is JSONParser.Null) else {
            throw reader.failure("model.unk_id", "a Unigram model needs an unknown token id")
        }
        let unknownID = try reader.integer(unknown, "model.unk_id")
        guard entries.indices.contains(unknownID) else {
            throw reader.failure("model.unk_id", "\(unknownID) is outside the vocabulary")
        }
        let byteFallback = try reader.bool(object["byte_fallback"], default: false, "model.byte_fallback")
        let model = UnigramModel(rules: .huggingFace, pieces: pieces, vocabularySize: entries.count,
                                 unknownID: unknownID, byteIDs: byteFallback ? byteIDs(vocabulary) : nil,
                                 minimumScore: minimum, maximumScore: 0)
        return (model, vocabulary)
    }

    private static func bytePair(_ reader: TokenizerJSONReader, _ object: [String: Any]) throws
        -> (any TokenizationModel, [String: Int]) {
        let entries = try reader.object(object["vocab"], "model.vocab")
        var vocabulary: [String: Int] = [:]
        var byText: [([UInt8], Int)] = []
        vocabulary.reserveCapacity(entries.count)
        byText.reserveCapacity(entries.count)
        for (text, value) in entries {
            let id = try reader.integer(value, "model.vocab[\(text.debugDescription)]")
            guard id >= 0 else { throw reader.failure("model.vocab[\(text.debugDescription)]", "negative id") }
            vocabulary[text] = id
            byText.append((Array(text.utf8), id))
        }
        func optionalString(_ key: String) throws -> String? {
            guard let value = object[key], !(value is JSONParser.Null) else { return nil }
            return try reader.string(value, "model.\(key)")
        }
        let prefix = try optionalString("continuing_subword_prefix") ?? ""
        var merges: [(key: UInt64, merge: BPEModel.Merge)] = []
        let mergeList = try reader.array(object["merges"] ?? [Any](), "model.merges")
        merges.reserveCapacity(mergeList.count)
        for (rank, item) in mergeList.enumerated() {
            let location = "model.merges[\(rank)]"
            let parts: [String]
            if let line = item as? String {
                parts = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else {
                parts = try reader.array(item, location).map { try reader.string($0, location) }
            }
            guard parts.count == 2 else { throw reader.failure(location, "expected two tokens") }
            let merged = parts[0] + String(decoding: parts[1].utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
            guard let left = vocabulary[parts[0]], let right = vocabulary[parts[1]], let mergedID = vocabulary[merged] else {
                let missing = [parts[0], parts[1], merged].first { vocabulary[$0] == nil } ?? merged
                throw reader.failure(location, "token \(missing.debugDescription) is not in the vocabulary")
            }
            merges.append((BPEModel.pairKey(left, right), BPEModel.Merge(rank: Int32(rank), mergedID: Int32(mergedID))))
        }
        var unknownID: Int?
        if let unknown = try optionalString("unk_token") {
            unknownID = vocabulary[unknown]
        }
        let byteFallback = try reader.bool(object["byte_fallback"], default: false, "model.byte_fallback")
        let model = BPEModel(
            vocabulary: PieceTable(byText), merges: MergeTable(merges), unknownID: unknownID,
            fusesUnknown: try reader.bool(object["fuse_unk"], default: false, "model.fuse_unk"),
            byteIDs: byteFallback ? byteIDs(vocabulary) : nil, continuingSubwordPrefix: Array(prefix.utf8),
            endOfWordSuffix: Array((try optionalString("end_of_word_suffix") ?? "").utf8),
            ignoresMerges: try reader.bool(object["ignore_merges"], default: false, "model.ignore_merges"))
        return (model, vocabulary)
    }

    /// The text's ids without truncation, framing or padding.
    public func tokenIDs(_ text: String) -> [Int] {
        var ids: [Int] = []
        for segment in rawTokens.split(Array(text.utf8)) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let bytes, let offset):
                let normalized = pipeline.normalizer?.normalize(bytes) ?? bytes
                var isFirst = offset == 0
                for part in normalizedTokens.split(normalized) {
                    switch part {
                    case .token(let id): ids.append(id)
                    case .text(let piece, _):
                        pipeline.encode(normalized: piece, isFirstSegment: isFirst, into: &ids)
                    }
                    isFirst = false
                }
            }
        }
        return ids
    }

    public func encode(_ text: String) -> [Int] {
        shape.apply(tokenIDs(text), postProcessor: pipeline.postProcessor)
    }

    /// The id of a token's text (added tokens included), if it has one.
    public func id(ofToken text: String) -> Int? { idsByToken[text] }
}
