import TensorCore

/// CLIP's ViT image tower (`vision_model.*` + `visual_projection`).
public struct VisionTransformer: Sendable {
    public let configuration: VisionTowerConfiguration
    let patchWeight: Tensor  // [width, channels · patch · patch]
    let packedPatchWeight: PackedMatrix?
    let classEmbedding: Tensor
    let positionEmbedding: Tensor  // [sequence, width]
    let preNormWeight: Tensor, preNormBias: Tensor
    let postNormWeight: Tensor, postNormBias: Tensor
    let projection: Tensor  // [projection, width]
    public let encoder: TransformerEncoder

    public static func specifications(_ configuration: VisionTowerConfiguration, projectionDimension: Int) -> [ParameterSpecification] {
        let width = configuration.transformer.hiddenSize, patch = configuration.patchSize
        return [
            .init("vision_model.embeddings.class_embedding", [width]),
            .init("vision_model.embeddings.patch_embedding.weight", [width, configuration.channelCount, patch, patch]),
            .init("vision_model.embeddings.position_embedding.weight", [configuration.sequenceLength, width]),
            // "layrnorm" is the checkpoint's own spelling.
            .init("vision_model.pre_layrnorm.weight", [width]), .init("vision_model.pre_layrnorm.bias", [width]),
        ] + TransformerEncoder.specifications(prefix: "vision_model.encoder", configuration.transformer) + [
            .init("vision_model.post_layernorm.weight", [width]), .init("vision_model.post_layernorm.bias", [width]),
            .init("visual_projection.weight", [projectionDimension, width]),
        ]
    }

    public init(configuration: VisionTowerConfiguration, parameters: ParameterStore, packWeights: Bool = false) {
        self.configuration = configuration
        let width = configuration.transformer.hiddenSize
        let patchArea = configuration.channelCount * configuration.patchSize * configuration.patchSize
        patchWeight = parameters["vision_model.embeddings.patch_embedding.weight"].reshaped([width, patchArea])
        packedPatchWeight = packWeights ? PackedMatrix(patchWeight) : nil
        classEmbedding = parameters["vision_model.embeddings.class_embedding"]
        positionEmbedding = parameters["vision_model.embeddings.position_embedding.weight"]
        preNormWeight = parameters["vision_model.pre_layrnorm.weight"]
        preNormBias = parameters["vision_model.pre_layrnorm.bias"]
        postNormWeight = parameters["vision_model.post_layernorm.weight"]
        postNormBias = parameters["vision_model.post_layernorm.bias"]
        projection = parameters["visual_projection.weight"]
        encoder = TransformerEncoder(
            prefix: "vision_model.encoder", configuration: configuration.transformer, parameters: parameters, packWeights: packWeights)
    }

    /// Rearranges [batch, channels, height, width] pixels into one row per patch, in the order of the
    /// convolution weight's flattening (channel, row, column), so the patch embedding is one GEMM.
    func patchRows(_ pixels: Tensor, batch: Int) -> Tensor {
        let channels = configuration.channelCount, patch = configuration.patchSize
        let side = configuration.imageSize, perSide = configuration.patchesPerSide
        let patchArea = channels * patch * patch
        let rows = Tensor(uninitializedShape: [batch * configuration.patchCount, patchArea])
        let source = pixels.pointer, destination = rows.pointer
        Parallel.forRanges(count: batch * configuration.patchCount, minimumPerThread: 64) { start, end in
            for rowIndex in start..<end {
                let (sample, patchIndex) = rowIndex.quotientAndRemainder(dividingBy: configuration.patchCount)
                let (patchRow, patchColumn) = patchIndex.quotientAndRemainder(dividingBy: perSide)
                var output = destination + rowIndex * patchArea
                for channel in 0..<channels {
                    let plane = source + (sample * channels + channel) * side * side
                    for y in 0..<patch {
                        let line = plane + (patchRow * patch + y) * side + patchColumn * patch
                        output.update(from: line, count: patch)
                        output += patch
                    }
                }
            }
        }
        return rows
    }

    /// Image embeddings (projected, not normalised) for pixel values [batch, channels, size, size].
    public func forward(pixelValues: Tensor, observer: ((String, Tensor) -> Void)? = nil) throws -> Tensor {
        let side = configuration.imageSize, channels = configuration.channelCount
        guard pixelValues.rank == 4, pixelValues.shape[1] == channels, pixelValues.shape[2] == side, pixelValues.shape[3] == side else {
            throw ModelError.invalidInput("pixel values have shape \(pixelValues.shape), expected [batch, \(channels), \(side), \(side)]")
        }
        let batch = pixelValues.shape[0]
        let width = configuration.transformer.hiddenSize
        let sequence = configuration.sequenceLength
        let patches = Operations.linear(patchRows(pixelValues, batch: batch), weight: patchWeight, packed: packedPatchWeight, bias: nil)

        let embeddings = Tensor(uninitializedShape: [batch * sequence, width])
        for sample in 0..<batch {
            let base = embeddings.pointer + sample * sequence * width
            for position in 0..<sequence {
                let row = base + position * width
                let positionRow = positionEmbedding.pointer + position * width
                let content = position == 0 ? classEmbedding.pointer : patches.pointer + (sample * (sequence - 1) + position - 1) * width
                for index in 0..<width { row[index] = content[index] + positionRow[index] }
            }
        }
        observer?("embeddings", embeddings)
        let epsilon = configuration.transformer.layerNormEpsilon
        let hidden = Operations.layerNorm(embeddings, weight: preNormWeight, bias: preNormBias, epsilon: epsilon)
        observer?("pre_layrnorm", hidden)
        encoder.forward(hidden, batch: batch, sequence: sequence, causal: false) { index, state in
            observer?("layer.\(index)", state)
        }
        let classTokens = Tensor(uninitializedShape: [batch, width])
        for sample in 0..<batch {
            (classTokens.pointer + sample * width).update(from: hidden.pointer + sample * sequence * width, count: width)
        }
        let pooled = Operations.layerNorm(classTokens, weight: postNormWeight, bias: postNormBias, epsilon: epsilon)
        observer?("pooled", pooled)
        return Operations.linear(pooled, weight: projection, bias: nil)
    }
}
