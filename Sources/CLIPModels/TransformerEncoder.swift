import TensorCore

/// One pre-LayerNorm residual block, with its tensors taken from the store by checkpoint name.
struct EncoderLayer {
    let queryKeyValueWeight: Tensor  // [3D, D]: q_proj, k_proj, v_proj stacked
    let queryKeyValueBias: Tensor  // [3D]
    let outputWeight: Tensor
    let outputBias: Tensor
    let firstNormWeight: Tensor
    let firstNormBias: Tensor
    let secondNormWeight: Tensor
    let secondNormBias: Tensor
    let expandWeight: Tensor  // mlp.fc1
    let expandBias: Tensor
    let contractWeight: Tensor  // mlp.fc2
    let contractBias: Tensor
    /// Inference copies of the four weight matrices in the packed-kernel layout (nil: use OpenBLAS only).
    let packed: PackedLayerWeights?
}

struct PackedLayerWeights {
    let queryKeyValue: PackedMatrix
    let output: PackedMatrix
    let expand: PackedMatrix
    let contract: PackedMatrix
}

/// The CLIP transformer encoder (`<tower>.encoder.layers.N.*`), shared by the text and vision towers.
public struct TransformerEncoder: Sendable {
    public let configuration: TransformerConfiguration
    let layers: [EncoderLayer]

    static func layerPrefix(_ prefix: String, _ index: Int) -> String { "\(prefix).layers.\(index)" }

    public static func specifications(prefix: String, _ configuration: TransformerConfiguration) -> [ParameterSpecification] {
        let width = configuration.hiddenSize, inner = configuration.intermediateSize
        var result: [ParameterSpecification] = []
        for index in 0..<configuration.layerCount {
            let layer = layerPrefix(prefix, index)
            for projection in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                result.append(.init("\(layer).self_attn.\(projection).weight", [width, width]))
                result.append(.init("\(layer).self_attn.\(projection).bias", [width]))
            }
            result += [
                .init("\(layer).layer_norm1.weight", [width]), .init("\(layer).layer_norm1.bias", [width]),
                .init("\(layer).mlp.fc1.weight", [inner, width]), .init("\(layer).mlp.fc1.bias", [inner]),
                .init("\(layer).mlp.fc2.weight", [width, inner]), .init("\(layer).mlp.fc2.bias", [width]),
                .init("\(layer).layer_norm2.weight", [width]), .init("\(layer).layer_norm2.bias", [width]),
            ]
        }
        return result
    }

    /// q, k and v of each layer share storage so one GEMM computes all three.
    public static func fusedGroups(prefix: String, _ configuration: TransformerConfiguration) -> [[String]] {
        (0..<configuration.layerCount).flatMap { index -> [[String]] in
            let attention = "\(layerPrefix(prefix, index)).self_attn"
            return ["weight", "bias"].map { kind in
                ["q_proj", "k_proj", "v_proj"].map { "\(attention).\($0).\(kind)" }
            }
        }
    }

    /// - Parameter packWeights: keep packed copies of the weights for fast inference. They are
    ///   snapshots: a model whose parameters change (training) must be built without them or rebuilt.
    init(prefix: String, configuration: TransformerConfiguration, parameters: ParameterStore, packWeights: Bool) {
        self.configuration = configuration
        layers = (0..<configuration.layerCount).map { index in
            let layer = Self.layerPrefix(prefix, index)
            let attention = "\(layer).self_attn"
            let packed = packWeights ? PackedLayerWeights(
                queryKeyValue: PackedMatrix(parameters.fused(startingWith: "\(attention).q_proj.weight")),
                output: PackedMatrix(parameters["\(attention).out_proj.weight"]),
                expand: PackedMatrix(parameters["\(layer).mlp.fc1.weight"]),
                contract: PackedMatrix(parameters["\(layer).mlp.fc2.weight"])) : nil
            return EncoderLayer(
                queryKeyValueWeight: parameters.fused(startingWith: "\(attention).q_proj.weight"),
                queryKeyValueBias: parameters.fused(startingWith: "\(attention).q_proj.bias"),
                outputWeight: parameters["\(attention).out_proj.weight"],
                outputBias: parameters["\(attention).out_proj.bias"],
                firstNormWeight: parameters["\(layer).layer_norm1.weight"],
                firstNormBias: parameters["\(layer).layer_norm1.bias"],
                secondNormWeight: parameters["\(layer).layer_norm2.weight"],
                secondNormBias: parameters["\(layer).layer_norm2.bias"],
                expandWeight: parameters["\(layer).mlp.fc1.weight"],
                expandBias: parameters["\(layer).mlp.fc1.bias"],
                contractWeight: parameters["\(layer).mlp.fc2.weight"],
                contractBias: parameters["\(layer).mlp.fc2.bias"],
                packed: packed)
        }
    }

    /// Runs every layer over `hidden` ([batch · sequence, width]), updating it in place.
    /// - Parameter observer: called with each layer's output (for debugging and parity tests).
    public func forward(
        _ hidden: Tensor, batch: Int, sequence: Int, causal: Bool, validLengths: [Int]? = nil,
        observer: ((Int, Tensor) -> Void)? = nil
    ) {
        let epsilon = configuration.layerNormEpsilon
        for (index, layer) in layers.enumerated() {
            let normalized = Operations.layerNorm(hidden, weight: layer.firstNormWeight, bias: layer.firstNormBias, epsilon: epsilon)
            let queryKeyValue = Operations.linear(
                normalized, weight: layer.queryKeyValueWeight, packed: layer.packed?.queryKeyValue, bias: layer.queryKeyValueBias)
            let attended = Operations.attention(
                qkv: queryKeyValue, batch: batch, sequence: sequence, heads: configuration.headCount,
                causal: causal, validLengths: validLengths)
            Operations.linear(attended, weight: layer.outputWeight, packed: layer.packed?.output, bias: layer.outputBias, into: normalized)
            Operations.addInPlace(hidden, normalized)

            let secondNormalized = Operations.layerNorm(hidden, weight: layer.secondNormWeight, bias: layer.secondNormBias, epsilon: epsilon)
            let expanded = Operations.linear(secondNormalized, weight: layer.expandWeight, packed: layer.packed?.expand, bias: layer.expandBias)
            Operations.activateInPlace(expanded, configuration.activation)
            Operations.linear(expanded, weight: layer.contractWeight, packed: layer.packed?.contract, bias: layer.contractBias, into: secondNormalized)
            Operations.addInPlace(hidden, secondNormalized)
            observer?(index, hidden)
        }
    }
}
