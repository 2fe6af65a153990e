import TensorCore

/// CLIP's causal text transformer (`text_model.*` + `text_projection`).
public struct TextTransformer: Sendable {
    public let configuration: TextTowerConfiguration
    let tokenEmbedding: Tensor  // [vocabulary, width]
    let positionEmbedding: Tensor  // [positions, width]
    let finalNormWeight: Tensor, finalNormBias: Tensor
    let projection: Tensor  // [projection, width]
    public let encoder: TransformerEncoder

    public static func specifications(_ configuration: TextTowerConfiguration, projectionDimension: Int) -> [ParameterSpecification] {
        let width = configuration.transformer.hiddenSize
        return [
            .init("text_model.embeddings.token_embedding.weight", [configuration.vocabularySize, width]),
            .init("text_model.embeddings.position_embedding.weight", [configuration.maximumPositions, width]),
        ] + TransformerEncoder.specifications(prefix: "text_model.encoder", configuration.transformer) + [
            .init("text_model.final_layer_norm.weight", [width]), .init("text_model.final_layer_norm.bias", [width]),
            .init("text_projection.weight", [projectionDimension, width]),
        ]
    }

    public init(configuration: TextTowerConfiguration, parameters: ParameterStore, packWeights: Bool = false) {
        self.configuration = configuration
        tokenEmbedding = parameters["text_model.embeddings.token_embedding.weight"]
        positionEmbedding = parameters["text_model.embeddings.position_embedding.weight"]
        finalNormWeight = parameters["text_model.final_layer_norm.weight"]
        finalNormBias = parameters["text_model.final_layer_norm.bias"]
        projection = parameters["text_projection.weight"]
        encoder = TransformerEncoder(
            prefix: "text_model.encoder", configuration: configuration.transformer, parameters: parameters, packWeights: packWeights)
    }

    /// The position whose hidden state becomes the text embedding, as transformers' CLIPTextTransformer picks it.
    public func poolingPosition(_ ids: [Int]) -> Int {
        if configuration.poolsAtArgmax {
            var best = 0
            for (index, id) in ids.enumerated() where id > ids[best] { best = index }
            return best
        }
        return ids.firstIndex(of: configuration.endTokenID) ?? ids.count - 1
    }

    /// Text embeddings (projected, not normalised) for token id sequences (with start and end tokens).
    /// Sequences may differ in length; only positions up to each pooling position are computed, which
    /// the causal mask makes exact.
    public func forward(tokenIDs: [[Int]], observer: ((String, Tensor) -> Void)? = nil) throws -> Tensor {
        let width = configuration.transformer.hiddenSize
        guard !tokenIDs.isEmpty else { return Tensor(zeros: [0, projection.shape[0]]) }
        var poolingPositions: [Int] = []
        for (index, ids) in tokenIDs.enumerated() {
            guard !ids.isEmpty else { throw ModelError.invalidInput("text \(index): empty token sequence") }
            guard ids.count <= configuration.maximumPositions else {
                throw ModelError.invalidInput("text \(index): \(ids.count) tokens exceed the model's \(configuration.maximumPositions) positions")
            }
            if let bad = ids.first(where: { $0 < 0 || $0 >= configuration.vocabularySize }) {
                throw ModelError.invalidInput("text \(index): token id \(bad) is outside the vocabulary of \(configuration.vocabularySize)")
            }
            poolingPositions.append(poolingPosition(ids))
        }
        let batch = tokenIDs.count
        let sequence = poolingPositions.max()! + 1
        let hidden = Tensor(uninitializedShape: [batch * sequence, width])
        for (sample, ids) in tokenIDs.enumerated() {
            for position in 0..<sequence {
                let row = hidden.pointer + (sample * sequence + position) * width
                // Positions past a text's own length are padding that the causal mask keeps out of its pooled state.
                let id = position < ids.count ? ids[position] : 0
                let tokenRow = tokenEmbedding.pointer + id * width
                let positionRow = positionEmbedding.pointer + position * width
                for index in 0..<width { row[index] = tokenRow[index] + positionRow[index] }
            }
        }
        observer?("embeddings", hidden)
        encoder.forward(hidden, batch: batch, sequence: sequence, causal: true) { index, state in
            observer?("layer.\(index)", state)
        }
        let pooledRows = Tensor(uninitializedShape: [batch, width])
        for sample in 0..<batch {
            (pooledRows.pointer + sample * width).update(
                from: hidden.pointer + (sample * sequence + poolingPositions[sample]) * width, count: width)
        }
        let pooled = Operations.layerNorm(
            pooledRows, weight: finalNormWeight, bias: finalNormBias, epsilon: configuration.transformer.layerNormEpsilon)
        observer?("pooled", pooled)
        return Operations.linear(pooled, weight: projection, bias: nil)
    }
}
