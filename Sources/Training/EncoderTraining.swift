import CLIPModels
import TensorCore

/// What one encoder layer's forward keeps for its backward.
struct EncoderLayerRecord {
    let input: Tensor, firstNormalized: Tensor, queryKeyValue: Tensor, attended: Tensor
    let afterAttention: Tensor, secondNormalized: Tensor, preActivation: Tensor, activated: Tensor
}

/// The CLIP transformer encoder's forward (the same operations in the same order as
/// `TransformerEncoder.forward`, so results are bit-identical) recording activations, and its backward.
struct EncoderTraining {
    let prefix: String
    let configuration: TransformerConfiguration
    let parameters: ParameterStore

    func layerName(_ index: Int) -> String { "\(prefix).layers.\(index)" }

    /// Returns the final hidden state ([batch · sequence, width]) and, when `record`, each layer's record.
    func forward(_ input: Tensor, batch: Int, sequence: Int, causal: Bool, record: Bool) -> (Tensor, [EncoderLayerRecord]) {
        let epsilon = configuration.layerNormEpsilon
        var hidden = input
        var records: [EncoderLayerRecord] = []
        for index in 0..<configuration.layerCount {
            let layer = layerName(index), attention = "\(layer).self_attn"
            let firstNormalized = Operations.layerNorm(
                hidden, weight: parameters["\(layer).layer_norm1.weight"], bias: parameters["\(layer).layer_norm1.bias"], epsilon: epsilon)
            let queryKeyValue = Operations.linear(
                firstNormalized, weight: parameters.fused(startingWith: "\(attention).q_proj.weight"),
                bias: parameters.fused(startingWith: "\(attention).q_proj.bias"))
            let attended = Operations.attention(
                qkv: queryKeyValue, batch: batch, sequence: sequence, heads: configuration.headCount, causal: causal)
            let attentionOutput = Operations.linear(
                attended, weight: parameters["\(attention).out_proj.weight"], bias: parameters["\(attention).out_proj.bias"])
            let afterAttention = hidden.copy()
            Operations.addInPlace(afterAttention, attentionOutput)

            let secondNormalized = Operations.layerNorm(
                afterAttention, weight: parameters["\(layer).layer_norm2.weight"], bias: parameters["\(layer).layer_norm2.bias"], epsilon: epsilon)
            let expanded = Operations.linear(
                secondNormalized, weight: parameters["\(layer).mlp.fc1.weight"], bias: parameters["\(layer).mlp.fc1.bias"])
            let preActivation = record ? expanded.copy() : expanded
            Operations.activateInPlace(expanded, configuration.activation)
            let contracted = Operations.linear(
                expanded, weight: parameters["\(layer).mlp.fc2.weight"], bias: parameters["\(layer).mlp.fc2.bias"])
            let output = afterAttention.copy()
            Operations.addInPlace(output, contracted)
            if record {
                records.append(EncoderLayerRecord(
                    input: hidden, firstNormalized: firstNormalized, queryKeyValue: queryKeyValue, attended: attended,
                    afterAttention: afterAttention, secondNormalized: secondNormalized, preActivation: preActivation,
                    activated: expanded))
            }
            hidden = output
        }
        return (hidden, records)
    }

    /// Accumulates every layer's parameter gradients and returns ∂loss/∂(encoder input).
    func backward(_ records: [EncoderLayerRecord], outputGradient: Tensor, batch: Int, sequence: Int, causal: Bool,
                  gradients: GradientStore) -> Tensor {
        let epsilon = configuration.layerNormEpsilon
        var hiddenGradient = outputGradient
        for index in stride(from: records.count - 1, through: 0, by: -1) {
            let record = records[index]
            let layer = layerName(index), attention = "\(layer).self_attn"
            let rows = record.input.shape[0], width = record.input.shape[1]

            let secondNormalizedGradient = feedForwardBackward(
                input: record.secondNormalized, activated: record.activated, preActivation: record.preActivation,
                activation: configuration.activation, expand: "\(layer).mlp.fc1", contract: "\(layer).mlp.fc2",
                outputGradient: hiddenGradient, parameters: parameters, gradients: gradients)
            let residualGradient = Tensor(uninitializedShape: [rows, width])
            BackwardOperations.layerNorm(
                input: record.afterAttention, weight: parameters["\(layer).layer_norm2.weight"], epsilon: epsilon,
                outputGradient: secondNormalizedGradient, inputGradient: residualGradient,
                weightGradient: gradients["\(layer).layer_norm2.weight"], biasGradient: gradients["\(layer).layer_norm2.bias"])
            let afterAttentionGradient = hiddenGradient.copy()
            Operations.addInPlace(afterAttentionGradient, residualGradient)

            let attendedGradient = Tensor(uninitializedShape: [rows, width])
            BackwardOperations.linear(
                input: record.attended, weight: parameters["\(attention).out_proj.weight"], outputGradient: afterAttentionGradient,
                inputGradient: attendedGradient, weightGradient: gradients["\(attention).out_proj.weight"],
                biasGradient: gradients["\(attention).out_proj.bias"])
            let queryKeyValueGradient = BackwardOperations.attention(
                qkv: record.queryKeyValue, outputGradient: attendedGradient, batch: batch, sequence: sequence,
                heads: configuration.headCount, causal: causal)
            let firstNormalizedGradient = Tensor(uninitializedShape: [rows, width])
            BackwardOperations.linear(
                input: record.firstNormalized, weight: parameters.fused(startingWith: "\(attention).q_proj.weight"),
                outputGradient: queryKeyValueGradient, inputGradient: firstNormalizedGradient,
                weightGradient: gradients.fused(startingWith: "\(attention).q_proj.weight"),
                biasGradient: gradients.fused(startingWith: "\(attention).q_proj.bias"))
            BackwardOperations.layerNorm(
                input: record.input, weight: parameters["\(layer).layer_norm1.weight"], epsilon: epsilon,
                outputGradient: firstNormalizedGradient, inputGradient: residualGradient,
                weightGradient: gradients["\(layer).layer_norm1.weight"], biasGradient: gradients["\(layer).layer_norm1.bias"])
            Operations.addInPlace(afterAttentionGradient, residualGradient)
            hiddenGradient = afterAttentionGradient
        }
        return hiddenGradient
    }
}
