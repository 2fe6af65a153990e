import CLIPModels
import TensorCore

/// How much of a tower's forward to keep for the backward.
public enum TowerRecording: Sendable {
    /// Nothing: the tower is frozen (or the pass only embeds).
    case none
    /// Only the pooled features: the tower is frozen but its projection trains.
    case projectionOnly
    /// Every activation: the whole tower trains.
    case full
}

/// The forward state a tower's backward needs.
struct TowerRecord {
    let recording: TowerRecording
    let batch: Int
    let sequence: Int
    let embeddings: Tensor?  // vision: before pre-LayerNorm; text: the encoder input
    let encoderInput: Tensor?
    let encoderRecords: [EncoderLayerRecord]
    let poolingRows: [Int]
    let pooledRows: Tensor?
    let pooled: Tensor?
    let patchRows: Tensor?
    let tokenIDs: [[Int]]
    /// BERT text tower: its layers' records and the padding mask (nil: nothing padded).
    var bertRecords: [BERTLayerRecord] = []
    var validLengths: [Int]? = nil
}

extension TowerRecord {
    /// Backward of the projection from pooled rows to embeddings (`weightName`): adds its weight gradient
    /// whenever the forward was recorded, and returns the pooled rows' gradient when the whole tower
    /// trains (`.full`); nil otherwise, when the rest of the tower's backward is skipped.
    func projectionBackward(_ weightName: String, parameters: ParameterStore, outputGradient: Tensor,
                            gradients: GradientStore) -> Tensor? {
        guard recording != .none, let pooled else { return nil }
        let pooledGradient = recording == .full ? Tensor(uninitializedShape: pooled.shape) : nil
        BackwardOperations.linear(
            input: pooled, weight: parameters[weightName], outputGradient: outputGradient,
            inputGradient: pooledGradient, weightGradient: gradients[weightName], biasGradient: nil)
        return pooledGradient
    }
}

/// The checks every text tower makes on a batch's token ids before looking them up.
enum TokenValidation {
    static func check(_ tokenIDs: [[Int]], maximumPositions: Int, vocabularySize: Int) throws {
        guard !tokenIDs.isEmpty else { throw TrainingError.model("no texts in the batch") }
        for (index, ids) in tokenIDs.enumerated() {
            guard !ids.isEmpty else { throw TrainingError.model("text \(index): empty token sequence") }
            guard ids.count <= maximumPositions else {
                throw TrainingError.model("text \(index): \(ids.count) tokens exceed the model's \(maximumPositions) positions")
            }
            if let bad = ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                throw TrainingError.model("text \(index): token id \(bad) is outside the vocabulary of \(vocabularySize)")
            }
        }
    }
}

/// CLIP's ViT image tower: a training forward that records activations, and its backward.
struct VisionTraining {
    let configuration: VisionTowerConfiguration
    let parameters: ParameterStore
    var encoder: EncoderTraining {
        EncoderTraining(prefix: "vision_model.encoder", configuration: configuration.transformer, parameters: parameters)
    }

    func forward(pixelValues: Tensor, recording: TowerRecording) throws -> (Tensor, TowerRecord) {
        let side = configuration.imageSize, channels = configuration.channelCount
        guard pixelValues.rank == 4, pixelValues.shape[1] == channels, pixelValues.shape[2] == side, pixelValues.shape[3] == side else {
            throw TrainingError.model("pixel values have shape \(pixelValues.shape), expected [batch, \(channels), \(side), \(side)]")
        }
        let batch = pixelValues.shape[0], width = configuration.transformer.hiddenSize, sequence = configuration.sequenceLength
        let epsilon = configuration.transformer.layerNormEpsilon
        let rows = PatchEmbedding.rows(pixels: pixelValues, channels: channels, side: side, patch: configuration.patchSize)
        let patches = PatchEmbedding.forward(rows: rows, weight: parameters["vision_model.embeddings.patch_embedding.weight"])
        let classEmbedding = parameters["vision_model.embeddings.class_embedding"].pointer
        let positionEmbedding = parameters["vision_model.embeddings.position_embedding.weight"].pointer
        let embeddings = Tensor(uninitializedShape: [batch * sequence, width])
        for sample in 0..<batch {
            for position in 0..<sequence {
                let row = embeddings.pointer + (sample * sequence + position) * width
                let positionRow = positionEmbedding + position * width
                let content = position == 0 ? classEmbedding : patches.pointer + (sample * (sequence - 1) + position - 1) * width
                for index in 0..<width { row[index] = content[index] + positionRow[index] }
            }
        }
        let encoderInput = Operations.layerNorm(
            embeddings, weight: parameters["vision_model.pre_layrnorm.weight"], bias: parameters["vision_model.pre_layrnorm.bias"],
            epsilon: epsilon)
        let (hidden, records) = encoder.forward(encoderInput, batch: batch, sequence: sequence, causal: false, record: recording == .full)
        let poolingRows = (0..<batch).map { $0 * sequence }
        let classTokens = BackwardOperations.gatherRows(hidden, indices: poolingRows)
        let pooled = Operations.layerNorm(
            classTokens, weight: parameters["vision_model.post_layernorm.weight"], bias: parameters["vision_model.post_layernorm.bias"],
            epsilon: epsilon)
        let output = Operations.linear(pooled, weight: parameters["visual_projection.weight"], bias: nil)
        let full = recording == .full
        return (output, TowerRecord(
            recording: recording, batch: batch, sequence: sequence, embeddings: full ? embeddings : nil,
            encoderInput: full ? encoderInput : nil, encoderRecords: records, poolingRows: poolingRows,
            pooledRows: full ? classTokens : nil, pooled: recording == .none ? nil : pooled,
            patchRows: full ? rows : nil, tokenIDs: []))
    }

    func backward(_ record: TowerRecord, outputGradient: Tensor, gradients: GradientStore) {
        guard let pooledGradient = record.projectionBackward(
                  "visual_projection.weight", parameters: parameters, outputGradient: outputGradient, gradients: gradients),
              let classTokens = record.pooledRows, let embeddings = record.embeddings, let patchRows = record.patchRows
        else { return }
        let epsilon = configuration.transformer.layerNormEpsilon, width = configuration.transformer.hiddenSize
        let classGradient = Tensor(uninitializedShape: classTokens.shape)
        BackwardOperations.layerNorm(
            input: classTokens, weight: parameters["vision_model.post_layernorm.weight"], epsilon: epsilon,
            outputGradient: pooledGradient, inputGradient: classGradient,
            weightGradient: gradients["vision_model.post_layernorm.weight"], biasGradient: gradients["vision_model.post_layernorm.bias"])
        let hiddenGradient = Tensor(zeros: [record.batch * record.sequence, width])
        BackwardOperations.scatterAddRows(classGradient, indices: record.poolingRows, into: hiddenGradient)
        let encoderInputGradient = encoder.backward(
            record.encoderRecords, outputGradient: hiddenGradient, batch: record.batch, sequence: record.sequence,
            causal: false, gradients: gradients)
        let embeddingGradient = Tensor(uninitializedShape: embeddings.shape)
        BackwardOperations.layerNorm(
            input: embeddings, weight: parameters["vision_model.pre_layrnorm.weight"], epsilon: epsilon,
            outputGradient: encoderInputGradient, inputGradient: embeddingGradient,
            weightGradient: gradients["vision_model.pre_layrnorm.weight"], biasGradient: gradients["vision_model.pre_layrnorm.bias"])
        // Every sample adds its rows to the shared position and class embeddings.
        let positions = (0..<(record.batch * record.sequence)).map { $0 % record.sequence }
        BackwardOperations.scatterAddRows(
            embeddingGradient, indices: positions, into: gradients["vision_model.embeddings.position_embedding.weight"])
        let classRows = BackwardOperations.gatherRows(embeddingGradient, indices: record.poolingRows)
        BackwardOperations.scatterAddRows(
            classRows, indices: Array(repeating: 0, count: record.batch),
            into: gradients["vision_model.embeddings.class_embedding"].reshaped([1, width]))
        let patchIndices = (0..<(record.batch * record.sequence)).filter { $0 % record.sequence != 0 }
        PatchEmbedding.backward(
            rows: patchRows, weight: parameters["vision_model.embeddings.patch_embedding.weight"],
            outputGradient: BackwardOperations.gatherRows(embeddingGradient, indices: patchIndices),
            weightGradient: gradients["vision_model.embeddings.patch_embedding.weight"])
    }
}

/// CLIP's causal text tower: a training forward that records activations, and its backward.
struct TextTraining {
    let configuration: TextTowerConfiguration
    let parameters: ParameterStore
    let poolingPosition: ([Int]) -> Int
    var encoder: EncoderTraining {
        EncoderTraining(prefix: "text_model.encoder", configuration: configuration.transformer, parameters: parameters)
    }

    /// Like the inference forward, the batch runs only up to its last pooling position: the causal
    /// mask makes later positions irrelevant, so both the result and the gradients are exact.
    func forward(tokenIDs: [[Int]], recording: TowerRecording) throws -> (Tensor, TowerRecord) {
        let width = configuration.transformer.hiddenSize
        try TokenValidation.check(tokenIDs, maximumPositions: configuration.maximumPositions, vocabularySize: configuration.vocabularySize)
        let poolingPositions = tokenIDs.map(poolingPosition)
        guard let last = poolingPositions.max() else { throw TrainingError.model("no texts in the batch") }
        let batch = tokenIDs.count, sequence = last + 1
        let tokenEmbedding = parameters["text_model.embeddings.token_embedding.weight"].pointer
        let positionEmbedding = parameters["text_model.embeddings.position_embedding.weight"].pointer
        let hidden = Tensor(uninitializedShape: [batch * sequence, width])
        for (sample, ids) in tokenIDs.enumerated() {
            for position in 0..<sequence {
                let row = hidden.pointer + (sample * sequence + position) * width
                let id = position < ids.count ? ids[position] : 0
                let tokenRow = tokenEmbedding + id * width, positionRow = positionEmbedding + position * width
                for index in 0..<width { row[index] = tokenRow[index] + positionRow[index] }
            }
        }
        let (encoded, records) = encoder.forward(hidden, batch: batch, sequence: sequence, causal: true, record: recording == .full)
        let poolingRows = poolingPositions.enumerated().map { $0.offset * sequence + $0.element }
        let pooledRows = BackwardOperations.gatherRows(encoded, indices: poolingRows)
        let pooled = Operations.layerNorm(
            pooledRows, weight: parameters["text_model.final_layer_norm.weight"], bias: parameters["text_model.final_layer_norm.bias"],
            epsilon: configuration.transformer.layerNormEpsilon)
        let output = Operations.linear(pooled, weight: parameters["text_projection.weight"], bias: nil)
        let full = recording == .full
        return (output, TowerRecord(
            recording: recording, batch: batch, sequence: sequence, embeddings: nil, encoderInput: nil,
            encoderRecords: records, poolingRows: poolingRows, pooledRows: full ? pooledRows : nil,
            pooled: recording == .none ? nil : pooled, patchRows: nil, tokenIDs: tokenIDs))
    }

    func backward(_ record: TowerRecord, outputGradient: Tensor, gradients: GradientStore) {
        guard let pooledGradient = record.projectionBackward(
                  "text_projection.weight", parameters: parameters, outputGradient: outputGradient, gradients: gradients),
              let pooledRows = record.pooledRows
        else { return }
        let width = configuration.transformer.hiddenSize
        let rowsGradient = Tensor(uninitializedShape: pooledRows.shape)
        BackwardOperations.layerNorm(
            input: pooledRows, weight: parameters["text_model.final_layer_norm.weight"],
            epsilon: configuration.transformer.layerNormEpsilon, outputGradient: pooledGradient, inputGradient: rowsGradient,
            weightGradient: gradients["text_model.final_layer_norm.weight"], biasGradient: gradients["text_model.final_layer_norm.bias"])
        let hiddenGradient = Tensor(zeros: [record.batch * record.sequence, width])
        BackwardOperations.scatterAddRows(rowsGradient, indices: record.poolingRows, into: hiddenGradient)
        let inputGradient = encoder.backward(
            record.encoderRecords, outputGradient: hiddenGradient, batch: record.batch, sequence: record.sequence,
            causal: true, gradients: gradients)
        // Positions past a text's end hold padding whose gradient is exactly zero (causal mask): skip them.
        var rows: [Int] = [], tokens: [Int] = [], positions: [Int] = []
        for (sample, ids) in record.tokenIDs.enumerated() {
            for position in 0..<min(ids.count, record.sequence) {
                rows.append(sample * record.sequence + position)
                tokens.append(ids[position])
                positions.append(position)
            }
        }
        let used = BackwardOperations.gatherRows(inputGradient, indices: rows)
        BackwardOperations.scatterAddRows(used, indices: tokens, into: gradients["text_model.embeddings.token_embedding.weight"])
        BackwardOperations.scatterAddRows(used, indices: positions, into: gradients["text_model.embeddings.position_embedding.weight"])
    }
}
