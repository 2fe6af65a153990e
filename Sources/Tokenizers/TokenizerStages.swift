/// Text → token ids, already framed (start/end, [CLS]/[SEP], <s>/</s>, <bos>…) and truncated to the context
/// length — padded too where the model's processor always pads (SigLIP pads to 64 with `padding="max_length"`).
public protocol TextTokenizing: Sendable {
    var contextLength: Int { get }
    func encode(_ text: String) -> [Int]
    /// The id `encode` pads with, when it pads; nil when sequences come back unpadded.
    var paddingID: Int? { get }
}

extension TextTokenizing {
    public var paddingID: Int? { nil }

    public func encodeBatch(_ texts: [String]) -> [[Int]] { texts.map(encode) }
}

extension CLIPTokenizer: TextTokenizing {}
extension WordPieceTokenizer: TextTokenizing {}

// MARK: - Pipeline stages
//
// A tokenizer is four stages over UTF-8 text (valid UTF-8 throughout): a normalizer rewrites the text, a
// pre-tokenizer cuts it into words, a model turns each word into ids, a post-processor frames the ids.
// SentencePiece models and Hugging Face `tokenizer.json` files are assembled from these; CLIP's BPE stages
// conform too, while `CLIPTokenizer` keeps its own fused loop.

/// Stage 1: rewrites text before it is split (Unicode and case normalisation, whitespace handling).
public protocol TextNormalizing: Sendable {
    func normalize(_ text: [UInt8]) -> [UInt8]
}

/// Stage 2: cuts normalised text into the words the model encodes one at a time.
public protocol PreTokenizing: Sendable {
    /// - Parameter isFirstSegment: whether `text` starts the input (not text after an added token), for
    ///   rules that treat the start specially (Metaspace's `prepend_scheme: "first"`).
    func split(_ text: [UInt8], isFirstSegment: Bool) -> [[UInt8]]
}

/// Stage 3: one word's ids.
public protocol TokenizationModel: Sendable {
    func encode(word: [UInt8], into ids: inout [Int])
}

/// Stage 4: frames one sequence's ids with the model's special tokens.
public protocol PostProcessing: Sendable {
    func process(_ ids: [Int]) -> [Int]
    /// How many ids `process` adds to a sequence (what truncation must leave room for).
    var addedTokenCount: Int { get }
}

/// The four stages in a row, for one stretch of text that holds no added (special) token.
public struct TokenizerPipeline: Sendable {
    public var normalizer: (any TextNormalizing)?
    public var preTokenizer: (any PreTokenizing)?
    public var model: any TokenizationModel
    public var postProcessor: (any PostProcessing)?

    public init(normalizer: (any TextNormalizing)?, preTokenizer: (any PreTokenizing)?,
                model: any TokenizationModel, postProcessor: (any PostProcessing)?) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
    }

    /// Normalise, split and encode `text` (no framing).
    public func tokenIDs(_ text: [UInt8], isFirstSegment: Bool = true, into ids: inout [Int]) {
        encode(normalized: normalizer?.normalize(text) ?? text, isFirstSegment: isFirstSegment, into: &ids)
    }

    /// Split and encode already normalised text.
    public func encode(normalized text: [UInt8], isFirstSegment: Bool, into ids: inout [Int]) {
        guard !text.isEmpty else { return }
        guard let preTokenizer else {
            model.encode(word: text, into: &ids)
            return
        }
        for word in preTokenizer.split(text, isFirstSegment: isFirstSegment) where !word.isEmpty {
            model.encode(word: word, into: &ids)
        }
    }

    /// The ids of `text`, framed by the post-processor.
    public func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        tokenIDs(Array(text.utf8), into: &ids)
        return postProcessor?.process(ids) ?? ids
    }
}

/// A normalizer made of several, applied in order.
public struct NormalizerSequence: TextNormalizing {
    public let normalizers: [any TextNormalizing]

    public init(_ normalizers: [any TextNormalizing]) {
        self.normalizers = normalizers
    }

    public func normalize(_ text: [UInt8]) -> [UInt8] {
        normalizers.reduce(text) { $1.normalize($0) }
    }
}

/// Pre-tokenizers applied in order, each to every word the previous one produced.
public struct PreTokenizerSequence: PreTokenizing {
    public let preTokenizers: [any PreTokenizing]

    public init(_ preTokenizers: [any PreTokenizing]) {
        self.preTokenizers = preTokenizers
    }

    public func split(_ text: [UInt8], isFirstSegment: Bool) -> [[UInt8]] {
        var words = [text]
        for preTokenizer in preTokenizers {
            var next: [[UInt8]] = []
            for (index, word) in words.enumerated() {
                next += preTokenizer.split(word, isFirstSegment: isFirstSegment && index == 0)
            }
            words = next.filter { !$0.isEmpty }
        }
        return words
    }
}

// MARK: - CLIP's stages

extension TextNormalizer: TextNormalizing {
    public func normalize(_ text: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        for scalar in normalizedScalars(String(decoding: text, as: UTF8.self)) { UTF8.encode(scalar) { output.append($0) } }
        return output
    }
}

extension PreTokenizer: PreTokenizing {
    public func split(_ text: [UInt8], isFirstSegment: Bool) -> [[UInt8]] {
        split(String(decoding: text, as: UTF8.self)).map { Array($0.utf8) }
    }
}

extension BytePairEncoder: TokenizationModel {
    public func encode(word: [UInt8], into ids: inout [Int]) {
        encode(wordBytes: word, into: &ids)
    }
}
