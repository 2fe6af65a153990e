import Foundation
import TensorCore

/// A BERT text tower (HF `BertModel` names under an optional prefix, e.g. "text_model" in Chinese-CLIP):
/// word + token-type + position embeddings, LayerNorm, post-LN encoder. Pooling is the caller's choice:
/// [CLS] state (Chinese-CLIP) or attention-mask mean (sentence-transformers).
public struct BERTTextModel: Sendable {
    public let configuration: BERTConfiguration
    let wordEmbedding: Tensor  // [vocabulary, width]
    let positionEmbedding: Tensor  // [positions, width]
    let tokenTypeEmbedding: Tensor  // [types, width]; every text is segment 0
    let embeddingNormWeight: Tensor, embeddingNormBias: Tensor
    public let encoder: BERTEncoder

    static func join(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }

    public static func specifications(prefix: String, _ configuration: BERTConfiguration) -> [ParameterSpecification] {
        let width = configuration.transformer.hiddenSize
        return [
            .init(join(prefix, "embeddings.word_embeddings.weight"), [configuration.vocabularySize, width]),
            .init(join(prefix, "embeddings.position_embeddings.weight"), [configuration.maximumPositions, width]),
            .init(join(prefix, "embeddings.token_type_embeddings.weight"), [configuration.tokenTypeCount, width]),
            .init(join(prefix, "embeddings.LayerNorm.weight"), [width]),
            .init(join(prefix, "embeddings.LayerNorm.bias"), [width]),
        ] + BERTEncoder.specifications(prefix: join(prefix, "encoder"), configuration.transformer)
    }

    public static func fusedGroups(prefix: String, _ configuration: BERTConfiguration) -> [[String]] {
        BERTEncoder.fusedGroups(prefix: join(prefix, "encoder"), configuration.transformer)
    }

    /// `packWeights` makes inference copies of the encoder's matrices (see `PackedMatrix`); training needs none.
    public init(prefix: String, configuration: BERTConfiguration, parameters: ParameterStore, packWeights: Bool = false) {
        self.configuration = configuration
        wordEmbedding = parameters[Self.join(prefix, "embeddings.word_embeddings.weight")]
        positionEmbedding = parameters[Self.join(prefix, "embeddings.position_embeddings.weight")]
        tokenTypeEmbedding = parameters[Self.join(prefix, "embeddings.token_type_embeddings.weight")]
        embeddingNormWeight = parameters[Self.join(prefix, "embeddings.LayerNorm.weight")]
        embeddingNormBias = parameters[Self.join(prefix, "embeddings.LayerNorm.bias")]
        encoder = BERTEncoder(prefix: Self.join(prefix, "encoder"), configuration: configuration.transformer, parameters: parameters,
                              packWeights: packWeights)
    }

    /// Final hidden states of a batch padded to its longest sequence.
    public struct HiddenStates: Sendable {
        /// [batch · sequence, width]; rows past an item's length are padding and meaningless.
        public let states: Tensor
        public let sequence: Int
        public let lengths: [Int]
    }

    /// Runs the tower over token id sequences (already framed by the tokenizer); padding is masked out
    /// of attention, so each item's states equal those of the item alone.
    public func hiddenStates(tokenIDs: [[Int]], observer: ((String, Tensor) -> Void)? = nil) throws -> HiddenStates {
        let width = configuration.transformer.hiddenSize
        for (index, ids) in tokenIDs.enumerated() {
            guard !ids.isEmpty else { throw ModelError.invalidInput("text \(index): empty token sequence") }
            guard ids.count <= configuration.maximumPositions else {
                throw ModelError.invalidInput("text \(index): \(ids.count) tokens exceed the model's \(configuration.maximumPositions) positions")
            }
            if let bad = ids.first(where: { $0 < 0 || $0 >= configuration.vocabularySize }) {
                throw ModelError.invalidInput("text \(index): token id \(bad) is outside the vocabulary of \(configuration.vocabularySize)")
            }
        }
        let lengths = tokenIDs.map(\.count)
        let batch = tokenIDs.count
        let sequence = lengths.max() ?? 0
        let embeddings = Tensor(uninitializedShape: [batch * sequence, width])
        for (sample, ids) in tokenIDs.enumerated() {
            for position in 0..<sequence {
                let row = embeddings.pointer + (sample * sequence + position) * width
                let id = position < ids.count ? ids[position] : configuration.paddingTokenID
                let wordRow = wordEmbedding.pointer + min(id, configuration.vocabularySize - 1) * width
                let positionRow = positionEmbedding.pointer + position * width
                let typeRow = tokenTypeEmbedding.pointer
                // transformers' order: (word + token type) + position.
                for index in 0..<width { row[index] = (wordRow[index] + typeRow[index]) + positionRow[index] }
            }
        }
        let normalized = Operations.layerNorm(
            embeddings, weight: embeddingNormWeight, bias: embeddingNormBias, epsilon: configuration.transformer.layerNormEpsilon)
        observer?("embeddings", normalized)
        let states = encoder.forward(
            normalized, batch: batch, sequence: sequence, validLengths: lengths.allSatisfy { $0 == sequence } ? nil : lengths
        ) { index, state in observer?("layer.\(index)", state) }
        return HiddenStates(states: states, sequence: sequence, lengths: lengths)
    }

    /// The first ([CLS]) position's final state per text: [batch, width].
    public func classTokenStates(tokenIDs: [[Int]]) throws -> Tensor {
        let width = configuration.transformer.hiddenSize
        guard !tokenIDs.isEmpty else { return Tensor(zeros: [0, width]) }
        let result = try hiddenStates(tokenIDs: tokenIDs)
        let pooled = Tensor(uninitializedShape: [tokenIDs.count, width])
        for sample in 0..<tokenIDs.count {
            (pooled.pointer + sample * width).update(from: result.states.pointer + sample * result.sequence * width, count: width)
        }
        return pooled
    }

    /// The mean of each text's final states over its real tokens (sentence-transformers' mean pooling): [batch, width].
    public func meanPooledStates(tokenIDs: [[Int]]) throws -> Tensor {
        let width = configuration.transformer.hiddenSize
        guard !tokenIDs.isEmpty else { return Tensor(zeros: [0, width]) }
        let result = try hiddenStates(tokenIDs: tokenIDs)
        let pooled = Tensor(zeros: [tokenIDs.count, width])
        for sample in 0..<tokenIDs.count {
            let target = pooled.pointer + sample * width
            // Summed in Double: the reference sums float32 with pairwise reduction, so this stays closer to it
            // than a naive float32 running sum would on long texts.
            var sums = [Double](repeating: 0, count: width)
            for position in 0..<result.lengths[sample] {
                let row = result.states.pointer + (sample * result.sequence + position) * width
                for index in 0..<width { sums[index] += Double(row[index]) }
            }
            let count = Double(max(result.lengths[sample], 1))
            for index in 0..<width { target[index] = Float(sums[index] / count) }
        }
        return pooled
    }
}
