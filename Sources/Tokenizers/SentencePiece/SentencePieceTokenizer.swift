import Foundation

/// A tokenizer over a SentencePiece model file that encodes as transformers' slow (SentencePiece-backed)
/// tokenizer of the folder's `tokenizer_class` does: added tokens cut out of the text first, each stretch
/// between them encoded by SentencePiece, then the class's framing, truncation and padding:
/// - `SiglipTokenizer`: lower-cased character by character, ASCII punctuation removed, whitespace
///   collapsed and stripped, "</s>" appended unless already last, truncated and padded to 64
///   (`padding="max_length"`) with "</s>";
/// - `T5Tokenizer`: "</s>" appended unless already last; `XLMRobertaTokenizer`: `<s> … </s>` with
///   fairseq's ids (SentencePiece id + 1; `<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3);
/// - `GemmaTokenizer`, `LlamaTokenizer`: the beginning token first (`add_bos_token`), the end token last
///   only with `add_eos_token`; any other class: the plain SentencePiece ids.
public final class SentencePieceTokenizer: TextTokenizing {
    /// The model as the tokenizer class uses it (SigLIP and non-legacy T5/Llama turn `add_dummy_prefix` off).
    public let model: SentencePieceModel
    public let configuration: TokenizerConfiguration
    public let shape: SequenceShape
    let postProcessor: (any PostProcessing)?
    private let splitter: AddedTokenSplitter
    private let specialIDs: Set<Int>
    /// Texts kept as written when lower-casing (special tokens, normalized non-special added tokens).
    private let protectedTokens: [[Unicode.Scalar]]
    /// transformers' non-legacy handling: "▁" becomes a space, "▁" is put in front (`add_prefix_space`),
    /// and a chunk starting with a space is encoded after `<unk>` (then dropped) so no dummy prefix is added.
    private let nonLegacy: Bool
    private let prependsSpaceSymbol: Bool
    private let unknownPrefixAlways: Bool
    private let canonicalizes: Bool
    private let unknownToken: [UInt8]
    private let unknownTokenLength: Int
    private let spaceSymbolID: Int?
    /// fairseq's id offset (XLM-R): SentencePiece id + 1, with the unknown piece mapped to `<unk>`.
    private let fairseqUnknownID: Int?

    public var contextLength: Int { shape.maximumLength ?? Int.max }
    public var paddingID: Int? { shape.paddedLength == nil ? nil : shape.paddingID }

    /// - Parameters:
    ///   - modelFile: `spiece.model`, `sentencepiece.bpe.model` or `tokenizer.model`.
    ///   - configuration: the folder's `tokenizer_config.json` (its class chooses the behaviour).
    ///   - shape: truncation and padding; nil: the class's own (SigLIP pads to `model_max_length`, 64).
    public init(modelFile: URL, configuration: TokenizerConfiguration = TokenizerConfiguration(),
                shape: SequenceShape? = nil) throws {
        let file = try SentencePieceModelFile(contentsOf: modelFile)
        let tokenizerClass = configuration.tokenizerClass ?? ""
        let isSiglip = tokenizerClass.hasPrefix("Siglip")
        let isPrefixed = ["T5", "Llama", "CodeLlama"].contains { tokenizerClass.hasPrefix($0) }
        let nonLegacy = isSiglip || (isPrefixed && configuration.legacy == false)
        var adjusted = file
        if nonLegacy { adjusted.normalizer.addDummyPrefix = false }
        let model = try SentencePieceModel(file: adjusted, path: modelFile.path)
        self.model = model
        self.configuration = configuration
        self.nonLegacy = nonLegacy
        prependsSpaceSymbol = isSiglip || (nonLegacy && (configuration.addsPrefixSpace ?? true))
        unknownPrefixAlways = isSiglip
        canonicalizes = isSiglip
        let unknownName = configuration.unknownToken ?? "<unk>"
        unknownToken = Array(unknownName.utf8)
        unknownTokenLength = model.encode(unknownName).count
        spaceSymbolID = model.contains(piece: "\u{2581}") ? model.id(ofPiece: "\u{2581}") : nil

        let isFairseq = tokenizerClass.hasPrefix("XLMRoberta")
        func tokenID(_ name: String?) -> Int? {
            guard let name else { return nil }
            if let added = configuration.addedTokens.first(where: { $0.content == name }) { return added.id }
            if isFairseq { return ["<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3][name] ?? (model.id(ofPiece: name) + 1) }
            return model.contains(piece: name) ? model.id(ofPiece: name) : nil
        }
        fairseqUnknownID = isFairseq ? (tokenID(unknownName) ?? 3) : nil

        // The tokens transformers splits on: added_tokens_decoder, plus special tokens it would add itself.
        var tokens = configuration.addedTokens
        for name in configuration.specialTokens where !tokens.contains(where: { $0.content == name }) {
            guard let id = tokenID(name) else { continue }
            tokens.append(AddedToken(id: id, content: name, leftStrip: isSiglip, rightStrip: isSiglip))
        }
        splitter = AddedTokenSplitter(tokens, rules: .transformers)
        let specialNames = Set(configuration.specialTokens)
        specialIDs = Set(tokens.filter { specialNames.contains($0.content) }.map(\.id))
        protectedTokens = configuration.lowercases
            ? (configuration.specialTokens + tokens.filter { !$0.special && $0.normalized }.map(\.content))
                .map { Array($0.unicodeScalars) }
            : []

        let endID = tokenID(configuration.endToken ?? "</s>")
        let beginningID = tokenID(configuration.beginningToken)
        switch tokenizerClass {
        case _ where isSiglip || tokenizerClass.hasPrefix("T5"):
            postProcessor = endID.map { EndTokenIfAbsentPostProcessor(endID: $0) }
        case _ where isFairseq:
            postProcessor = TemplatePostProcessor(prefix: [tokenID(configuration.beginningToken ?? "<s>") ?? 0],
                                                  suffix: [endID ?? 2])
        case _ where ["Gemma", "Llama", "CodeLlama"].contains(where: { tokenizerClass.hasPrefix($0) }):
            let prefix = (configuration.addsBeginningToken ?? true) ? beginningID.map { [$0] } ?? [] : []
            let suffix = (configuration.addsEndToken ?? false) ? endID.map { [$0] } ?? [] : []
            postProcessor = TemplatePostProcessor(prefix: prefix, suffix: suffix)
        default:
            postProcessor = nil
        }
        if let shape {
            self.shape = shape
        } else if isSiglip {
            let length = configuration.modelMaximumLength ?? 64
            self.shape = SequenceShape(maximumLength: length, truncationSide: configuration.truncationSide ?? .right,
                                       paddedLength: length, paddingID: tokenID(configuration.paddingToken ?? "</s>"),
                                       paddingSide: configuration.paddingSide ?? .right)
        } else {
            self.shape = SequenceShape(maximumLength: configuration.modelMaximumLength,
                                       truncationSide: configuration.truncationSide ?? .right)
        }
    }

    public func encode(_ text: String) -> [Int] {
        shape.apply(tokenIDs(text), postProcessor: postProcessor)
    }

    /// The text's ids without framing, truncation or padding (`convert_tokens_to_ids(tokenize(text))`).
    public func tokenIDs(_ text: String) -> [Int] {
        var scalars = Array(text.unicodeScalars)
        if nonLegacy {
            if scalars.isEmpty, !unknownPrefixAlways { return [] }
            scalars = scalars.map { $0 == "\u{2581}" ? " " : $0 }
            if prependsSpaceSymbol { scalars.insert("\u{2581}", at: 0) }
        }
        if configuration.lowercases { scalars = lowercasedOutsideTokens(scalars) }
        var ids: [Int] = []
        var firstIsSpaceSymbol = false, secondIsSpecial = false
        for segment in splitter.split(UTF8Text.bytes(scalars)) {
            let countBefore = ids.count
            switch segment {
            case .token(let id):
                ids.append(id)
                if countBefore == 1 { secondIsSpecial = specialIDs.contains(id) }
            case .text(let bytes, _):
                encodeChunk(bytes, into: &ids)
                if countBefore == 0, ids.count > 0 { firstIsSpaceSymbol = ids[0] == spaceSymbolID.map(mapped) }
                if countBefore == 1, ids.count > 1 { secondIsSpecial = false }
            }
        }
        // transformers drops a lone leading "▁" when a special token follows it.
        if nonLegacy, ids.count > 1, firstIsSpaceSymbol, secondIsSpecial { ids.removeFirst() }
        return ids
    }

    private func mapped(_ id: Int) -> Int {
        guard let fairseqUnknownID else { return id }
        return id == model.unknownID ? fairseqUnknownID : id + 1
    }

    /// `_tokenize` of one stretch without added tokens.
    private func encodeChunk(_ chunk: [UInt8], into ids: inout [Int]) {
        var text = chunk
        if canonicalizes { text = Self.canonicalized(text) }
        var pieces: [Int] = []
        let startsWithSpace = text.starts(with: SentencePieceNormalizer.spaceSymbol) || text.first == UInt8(ascii: " ")
        if nonLegacy, unknownPrefixAlways || startsWithSpace {
            model.encode(utf8: unknownToken + text, into: &pieces)
            pieces = pieces.count >= unknownTokenLength ? Array(pieces.dropFirst(unknownTokenLength)) : pieces
        } else {
            model.encode(utf8: text, into: &pieces)
        }
        ids += pieces.map(mapped)
    }

    /// SigLIP's `canonicalize_text`: ASCII punctuation removed, whitespace runs → one space, stripped.
    static func canonicalized(_ text: [UInt8]) -> [UInt8] {
        var output: [Unicode.Scalar] = []
        var pendingSpace = false
        for scalar in UTF8Text.scalars(text) {
            switch scalar.value {
            case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: continue  // Python's string.punctuation
            default: break
            }
            if CharacterTables.isPythonWhitespace(scalar) {
                pendingSpace = true
                continue
            }
            if pendingSpace, !output.isEmpty { output.append(" ") }
            pendingSpace = false
            output.append(scalar)
        }
        return UTF8Text.bytes(output)
    }

    /// `PreTrainedTokenizer.tokenize`'s `do_lower_case`: each character lower-cased on its own (Python's
    /// `str.lower` of one character), except where a protected token starts.
    private func lowercasedOutsideTokens(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        var index = 0
        outer: while index < scalars.count {
            for token in protectedTokens where !token.isEmpty && index + token.count <= scalars.count
                && scalars[index..<(index + token.count)].elementsEqual(token) {
                output += token
                index += token.count
                continue outer
            }
            output += CharacterTables.pythonLowercased([scalars[index]])
            index += 1
        }
        return output
    }
}
