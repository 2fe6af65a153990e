import CLIPModels
import TensorCore

/// What one post-LN BERT layer's forward keeps for its backward.
struct BERTLayerRecord {
    let input: Tensor, queryKeyValue: Tensor, attended: Tensor
    /// Attention output + residual (the first LayerNorm's input) and that LayerNorm's output.
    let attentionSum: Tensor, attentionOutput: Tensor
    let preActivation: Tensor, activated: Tensor
    /// MLP output + residual (the second LayerNorm's input).
    let outputSum: Tensor
}

/// BERT's encoder forward (the same operations in the same order as `BERTEncoder.forward`, so results
/// are bit-identical) recording activations, and its backward. Padding keys are masked by `validLengths`.
struct BERTEncoderTraining {
    let prefix: String
    let configuration: TransformerConfiguration
    let parameters: ParameterStore

    func layerName(_ index: Int) -> String { "\(prefix).layer.\(index)" }

    func forward(_ input: Tensor, batch: Int, sequence: Int, validLengths: [Int]?, record: Bool) -> (Tensor, [BERTLayerRecord]) {
        let epsilon = configuration.layerNormEpsilon
        var state = input
        var records: [BERTLayerRecord] = []
        for index in 0..<configuration.layerCount {
            let layer = layerName(index)
            let queryKeyValue = Operations.linear(
                state, weight: parameters.fused(startingWith: "\(layer).attention.self.query.weight"),
                bias: parameters.fused(startingWith: "\(layer).attention.self.query.bias"))
            let attended = Operations.attention(
                qkv: queryKeyValue, batch: batch, sequence: sequence, heads: configuration.headCount, causal: false,
                validLengths: validLengths)
            let attentionSum = Operations.linear(
                attended, weight: parameters["\(layer).attention.output.dense.weight"], bias: parameters["\(layer).attention.output.dense.bias"])
            Operations.addInPlace(attentionSum, state)
            let attentionOutput = Operations.layerNorm(
                attentionSum, weight: parameters["\(layer).attention.output.LayerNorm.weight"],
                bias: parameters["\(layer).attention.output.LayerNorm.bias"], epsilon: epsilon)

            let expanded = Operations.linear(
                attentionOutput, weight: parameters["\(layer).intermediate.dense.weight"], bias: parameters["\(layer).intermediate.dense.bias"])
            let preActivation = record ? expanded.copy() : expanded
            Operations.activateInPlace(expanded, configuration.activation)
            let outputSum = Operations.linear(
                expanded, weight: parameters["\(layer).output.dense.weight"], bias: parameters["\(layer).output.dense.bias"])
            Operations.addInPlace(outputSum, attentionOutput)
            let output = Operations.layerNorm(
                outputSum, weight: parameters["\(layer).output.LayerNorm.weight"], bias: parameters["\(layer).output.LayerNorm.bias"],
                epsilon: epsilon)
            if record {
                records.append(BERTLayerRecord(
                    input: state, queryKeyValue: queryKeyValue, attended: attended, attentionSum: attentionSum,
                    attentionOutput: attentionOutput, preActivation: preActivation, activated: expanded, outputSum: outputSum))
            }
            state = output
        }
        return (state, records)
    }

    /// Accumulates every layer's parameter gradients and returns ∂loss/∂(encoder input).
    func backward(_ records: [BERTLayerRecord], outputGradient: Tensor, batch: Int, sequence: Int, validLengths: [Int]?,
                  gradients: GradientStore) -> Tensor {
        let epsilon = configuration.layerNormEpsilon
        var stateGradient = outputGradient
        for index in stride(from: records.count - 1, through: 0, by: -1) {
            let record = records[index], layer = layerName(index)
            let rows = record.input.shape[0], width = record.input.shape[1]

            let outputSumGradient = Tensor(uninitializedShape: [rows, width])
            BackwardOperations.layerNorm(
                input: record.outputSum, weight: parameters["\(layer).output.LayerNorm.weight"], epsilon: epsilon,
                outputGradient: stateGradient, inputGradient: outputSumGradient,
                weightGradient: gradients["\(layer).output.LayerNorm.weight"], biasGradient: gradients["\(layer).output.LayerNorm.bias"])
            let attentionOutputGradient = feedForwardBackward(
                input: record.attentionOutput, activated: record.activated, preActivation: record.preActivation,
                activation: configuration.activation, expand: "\(layer).intermediate.dense", contract: "\(layer).output.dense",
                outputGradient: outputSumGradient, parameters: parameters, gradients: gradients)
            // The residual around the MLP.
            Operations.addInPlace(attentionOutputGradient, outputSumGradient)

            let attentionSumGradient = Tensor(uninitializedShape: [rows, width])
            BackwardOperations.layerNorm(
                input: record.attentionSum, weight: parameters["\(layer).attention.output.LayerNorm.weight"], epsilon: epsilon,
                outputGradient: attentionOutputGradient, inputGradient: attentionSumGradient,
                weightGradient: gradients["\(layer).attention.output.LayerNorm.weight"],
                biasGradient: gradients["\(layer).attention.output.LayerNorm.bias"])
            let attendedGradient = Tensor(uninitializedShape: [rows, width])
            BackwardOperations.linear(
                input: record.attended, weight: parameters["\(layer).attention.output.dense.weight"], outputGradient: attentionSumGradient,
                inputGradient: attendedGradient, weightGradient: gradients["\(layer).attention.output.dense.weight"],
                biasGradient: gradients["\(layer).attention.output.dense.bias"])
            let queryKeyValueGradient = BackwardOperations.attention(
                qkv: record.queryKeyValue, outputGradient: attendedGradient, batch: batch, sequence: sequence,
                heads: configuration.headCount, causal: false, validLengths: validLengths)
            let inputGradient = Tensor(uninitializedShape: [rows, width])
            BackwardOperations.linear(
                input: record.input, weight: parameters.fused(startingWith: "\(layer).attention.self.query.weight"),
                outputGradient: queryKeyValueGradient, inputGradient: inputGradient,
                weightGradient: gradients.fused(startingWith: "\(layer).attention.self.query.weight"),
                biasGradient: gradients.fused(startingWith: "\(layer).attention.self.query.bias"))
            // The residual around attention.
            Operations.addInPlace(inputGradient, attentionSumGradient)
            stateGradient = inputGradient
        }
        return stateGradient
    }
}

/// Chinese-CLIP's BERT text tower (`text_model.*`, [CLS] pooling, `text_projection` without bias):
/// a training forward that records activations, and its backward.
struct BERTTextTraining {
    static let prefix = "text_model"
    let configuration: BERTConfiguration
    let parameters: ParameterStore
    var encoder: BERTEncoderTraining {
        BERTEncoderTraining(prefix: "\(Self.prefix).encoder", configuration: configuration.transformer, parameters: parameters)
    }

    func name(_ suffix: String) -> String { "\(Self.prefix).embeddings.\(suffix)" }

    /// The three lookups of a batch padded to `sequence` (every text is segment 0, padding is [PAD]).
    func lookups(tokenIDs: [[Int]], sequence: Int, tables: (String) -> Tensor) -> [EmbeddingLookup.Lookup] {
        var words: [Int] = [], positions: [Int] = []
        for ids in tokenIDs {
            for position in 0..<sequence {
                words.append(position < ids.count ? ids[position] : configuration.paddingTokenID)
                positions.append(position)
            }
        }
        // transformers' order: (word + token type) + position.
        return [.init(table: tables(name("word_embeddings.weight")), indices: words),
                .init(table: tables(name("token_type_embeddings.weight")), indices: Array(repeating: 0, count: words.count)),
                .init(table: tables(name("position_embeddings.weight")), indices: positions)]
    }

    func forward(tokenIDs: [[Int]], recording: TowerRecording) throws -> (Tensor, TowerRecord) {
        try TokenValidation.check(tokenIDs, maximumPositions: configuration.maximumPositions, vocabularySize: configuration.vocabularySize)
        let lengths = tokenIDs.map(\.count)
        let batch = tokenIDs.count, sequence = lengths.max() ?? 0
        let full = recording == .full
        let embeddings = EmbeddingLookup.sum(lookups(tokenIDs: tokenIDs, sequence: sequence) { parameters[$0] })
        let encoderInput = Operations.layerNorm(
            embeddings, weight: parameters[name("LayerNorm.weight")], bias: parameters[name("LayerNorm.bias")],
            epsilon: configuration.transformer.layerNormEpsilon)
        // Like the inference forward: no mask at all when nothing is padded.
        let validLengths = lengths.allSatisfy { $0 == sequence } ? nil : lengths
        let (hidden, records) = encoder.forward(encoderInput, batch: batch, sequence: sequence, validLengths: validLengths, record: full)
        let poolingRows = (0..<batch).map { $0 * sequence }
        let pooled = BackwardOperations.gatherRows(hidden, indices: poolingRows)
        let output = Operations.linear(pooled, weight: parameters["text_projection.weight"], bias: nil)
        return (output, TowerRecord(
            recording: recording, batch: batch, sequence: sequence, embeddings: full ? embeddings : nil, encoderInput: nil,
            encoderRecords: [], poolingRows: poolingRows, pooledRows: nil, pooled: recording == .none ? nil : pooled,
            patchRows: nil, tokenIDs: tokenIDs, bertRecords: records, validLengths: validLengths))
    }

    func backward(_ record: TowerRecord, outputGradient: Tensor, gradients: GradientStore) {
        guard let pooledGradient = record.projectionBackward(
                  "text_projection.weight", parameters: parameters, outputGradient: outputGradient, gradients: gradients),
              let embeddings = record.embeddings
        else { return }
        let hiddenGradient = Tensor(zeros: [record.batch * record.sequence, configuration.transformer.hiddenSize])
        BackwardOperations.scatterAddRows(pooledGradient, indices: record.poolingRows, into: hiddenGradient)
        let encoderInputGradient = encoder.backward(
            record.bertRecords, outputGradient: hiddenGradient, batch: record.batch, sequence: record.sequence,
            validLengths: record.validLengths, gradients: gradients)
        let embeddingGradient = Tensor(uninitializedShape: embeddings.shape)
        BackwardOperations.layerNorm(
            input: embeddings, weight: parameters[name("LayerNorm.weight")], epsilon: configuration.transformer.layerNormEpsilon,
            outputGradient: encoderInputGradient, inputGradient: embeddingGradient,
            weightGradient: gradients[name("LayerNorm.weight")], biasGradient: gradients[name("LayerNorm.bias")])
        // Padding rows are masked out of every key, so their gradient is exactly zero: skip them.
        let realRows = record.tokenIDs.enumerated().flatMap { sample, ids in
            (0..<ids.count).map { sample * record.sequence + $0 }
        }
        EmbeddingLookup.backward(
            outputGradient: embeddingGradient, into: lookups(tokenIDs: record.tokenIDs, sequence: record.sequence) { gradients[$0] },
            rows: realRows)
    }
}
