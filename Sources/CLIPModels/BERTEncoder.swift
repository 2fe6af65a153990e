import TensorCore

/// One post-LayerNorm BERT layer (`<prefix>.layer.N.*`), tensors taken from the store by checkpoint name.
struct BERTLayer {
    let queryKeyValueWeight: Tensor  // [3D, D]: attention.self.query, key, value stacked
    let queryKeyValueBias: Tensor
    let attentionOutputWeight: Tensor, attentionOutputBias: Tensor
    let attentionNormWeight: Tensor, attentionNormBias: Tensor
    let intermediateWeight: Tensor, intermediateBias: Tensor
    let outputWeight: Tensor, outputBias: Tensor
    let outputNormWeight: Tensor, outputNormBias: Tensor
    /// Inference copies in the packed-kernel layout (nil: OpenBLAS on the weights above, as training needs).
    let packed: PackedLayerWeights?
}

/// BERT's encoder: unlike CLIP's pre-LN blocks, each sub-layer adds its residual and then normalises.
public struct BERTEncoder: Sendable {
    public let configuration: TransformerConfiguration
    let layers: [BERTLayer]

    static func layerPrefix(_ prefix: String, _ index: Int) -> String { "\(prefix).layer.\(index)" }

    public static func specifications(prefix: String, _ configuration: TransformerConfiguration) -> [ParameterSpecification] {
        let width = configuration.hiddenSize, inner = configuration.intermediateSize
        var result: [ParameterSpecification] = []
        for index in 0..<configuration.layerCount {
            let layer = layerPrefix(prefix, index)
            for projection in ["query", "key", "value"] {
                result += [.init("\(layer).attention.self.\(projection).weight", [width, width]),
                           .init("\(layer).attention.self.\(projection).bias", [width])]
            }
            result += [
                .init("\(layer).attention.output.dense.weight", [width, width]),
                .init("\(layer).attention.output.dense.bias", [width]),
                .init("\(layer).attention.output.LayerNorm.weight", [width]),
                .init("\(layer).attention.output.LayerNorm.bias", [width]),
                .init("\(layer).intermediate.dense.weight", [inner, width]),
                .init("\(layer).intermediate.dense.bias", [inner]),
                .init("\(layer).output.dense.weight", [width, inner]),
                .init("\(layer).output.dense.bias", [width]),
                .init("\(layer).output.LayerNorm.weight", [width]),
                .init("\(layer).output.LayerNorm.bias", [width]),
            ]
        }
        return result
    }

    /// q, k and v of each layer share storage so one GEMM computes all three.
    public static func fusedGroups(prefix: String, _ configuration: TransformerConfiguration) -> [[String]] {
        (0..<configuration.layerCount).flatMap { index -> [[String]] in
            let attention = "\(layerPrefix(prefix, index)).attention.self"
            return ["weight", "bias"].map { kind in ["query", "key", "value"].map { "\(attention).\($0).\(kind)" } }
        }
    }

    init(prefix: String, configuration: TransformerConfiguration, parameters: ParameterStore, packWeights: Bool = false) {
        self.configuration = configuration
        layers = (0..<configuration.layerCount).map { index in
            let layer = Self.layerPrefix(prefix, index)
            let packed = packWeights ? PackedLayerWeights(
                queryKeyValue: PackedMatrix(parameters.fused(startingWith: "\(layer).attention.self.query.weight")),
                output: PackedMatrix(parameters["\(layer).attention.output.dense.weight"]),
                expand: PackedMatrix(parameters["\(layer).intermediate.dense.weight"]),
                contract: PackedMatrix(parameters["\(layer).output.dense.weight"])) : nil
            return BERTLayer(
                queryKeyValueWeight: parameters.fused(startingWith: "\(layer).attention.self.query.weight"),
                queryKeyValueBias: parameters.fused(startingWith: "\(layer).attention.self.query.bias"),
                attentionOutputWeight: parameters["\(layer).attention.output.dense.weight"],
                attentionOutputBias: parameters["\(layer).attention.output.dense.bias"],
                attentionNormWeight: parameters["\(layer).attention.output.LayerNorm.weight"],
                attentionNormBias: parameters["\(layer).attention.output.LayerNorm.bias"],
                intermediateWeight: parameters["\(layer).intermediate.dense.weight"],
                intermediateBias: parameters["\(layer).intermediate.dense.bias"],
                outputWeight: parameters["\(layer).output.dense.weight"],
                outputBias: parameters["\(layer).output.dense.bias"],
                outputNormWeight: parameters["\(layer).output.LayerNorm.weight"],
                outputNormBias: parameters["\(layer).output.LayerNorm.bias"],
                packed: packed)
        }
    }

    /// Runs every layer over `hidden` ([batch · sequence, width]); keys at or past each item's valid
    /// length are masked out, as BERT's extended attention mask does for padding.
    public func forward(
        _ hidden: Tensor, batch: Int, sequence: Int, validLengths: [Int]?, observer: ((Int, Tensor) -> Void)? = nil
    ) -> Tensor {
        let epsilon = configuration.layerNormEpsilon
        var state = hidden
        for (index, layer) in layers.enumerated() {
            let queryKeyValue = Operations.linear(
                state, weight: layer.queryKeyValueWeight, packed: layer.packed?.queryKeyValue, bias: layer.queryKeyValueBias)
            let attended = Operations.attention(
                qkv: queryKeyValue, batch: batch, sequence: sequence, heads: configuration.headCount,
                causal: false, validLengths: validLengths)
            let projected = Operations.linear(
                attended, weight: layer.attentionOutputWeight, packed: layer.packed?.output, bias: layer.attentionOutputBias)
            Operations.addInPlace(projected, state)
            let attentionOutput = Operations.layerNorm(
                projected, weight: layer.attentionNormWeight, bias: layer.attentionNormBias, epsilon: epsilon)

            let expanded = Operations.linear(attentionOutput, weight: layer.intermediateWeight, packed: layer.packed?.expand,
                                             bias: layer.intermediateBias)
            Operations.activateInPlace(expanded, configuration.activation)
            let contracted = Operations.linear(expanded, weight: layer.outputWeight, packed: layer.packed?.contract, bias: layer.outputBias)
            Operations.addInPlace(contracted, attentionOutput)
            state = Operations.layerNorm(contracted, weight: layer.outputNormWeight, bias: layer.outputNormBias, epsilon: epsilon)
            observer?(index, state)
        }
        return state
    }
}
