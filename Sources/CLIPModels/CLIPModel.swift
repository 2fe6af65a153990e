import Foundation
import TensorCore

/// A CLIP model: both towers and the learned temperature, over one parameter store.
public final class CLIPModel: Sendable {
    public let configuration: CLIPConfiguration
    public let parameters: ParameterStore
    public let vision: VisionTransformer
    public let text: TextTransformer

    public static func specifications(_ configuration: CLIPConfiguration) -> [ParameterSpecification] {
        TextTransformer.specifications(configuration.text, projectionDimension: configuration.projectionDimension)
            + VisionTransformer.specifications(configuration.vision, projectionDimension: configuration.projectionDimension)
            + [ParameterSpecification("logit_scale", [])]
    }

    public static func fusedGroups(_ configuration: CLIPConfiguration) -> [[String]] {
        TransformerEncoder.fusedGroups(prefix: "text_model.encoder", configuration.text.transformer)
            + TransformerEncoder.fusedGroups(prefix: "vision_model.encoder", configuration.vision.transformer)
    }

    /// - Parameter packWeights: keep packed copies of the encoder weights for fast inference (about
    ///   doubles the memory of the weights). The copies are snapshots: leave it off for a model whose
    ///   parameters will change, as in training.
    public init(configuration: CLIPConfiguration, parameters: ParameterStore, packWeights: Bool = false) throws {
        do { try BLAS.ensureLoaded() } catch { throw ModelError.backend("\(error)") }
        self.configuration = configuration
        self.parameters = parameters
        vision = VisionTransformer(configuration: configuration.vision, parameters: parameters, packWeights: packWeights)
        text = TextTransformer(configuration: configuration.text, parameters: parameters, packWeights: packWeights)
    }

    /// Loads `config.json` and `model.safetensors` from a Hugging Face CLIP checkpoint folder.
    public static func load(directory: URL, packWeights: Bool = true) throws -> CLIPModel {
        let configuration = try CLIPConfiguration.load(fileAt: directory.appendingPathComponent("config.json"))
        let weightsURL = directory.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(fileAt: weightsURL)
        let parameters = try ParameterStore.load(
            from: file, specifications: specifications(configuration), fusedGroups: fusedGroups(configuration),
            checkpointName: { name in sanitizedKey(name, available: file.entries) })
        return try CLIPModel(configuration: configuration, parameters: parameters, packWeights: packWeights)
    }

    /// Checkpoints saved by some tools prefix keys (e.g. "clip_model." or "model."): find the key that ends with ours.
    static func sanitizedKey(_ name: String, available: [String: SafeTensorsFile.Entry]) -> String {
        if available[name] != nil { return name }
        for prefix in ["model.", "clip.", "clip_model."] where available[prefix + name] != nil { return prefix + name }
        return name
    }

    /// A model with seeded random weights (benchmarks; no checkpoint needed).
    public static func random(configuration: CLIPConfiguration, seed: UInt64, packWeights: Bool = true) throws -> CLIPModel {
        let parameters = ParameterStore.random(
            specifications: specifications(configuration), fusedGroups: fusedGroups(configuration), seed: seed)
        return try CLIPModel(configuration: configuration, parameters: parameters, packWeights: packWeights)
    }

    /// exp(logit_scale), clamped at 100 as in CLIP training.
    public var logitScale: Float { min(exp(parameters["logit_scale"].pointer[0]), 100) }

    /// Unnormalised image embeddings for pixel values [batch, 3, size, size].
    public func encodeImages(pixelValues: Tensor) throws -> Tensor {
        try vision.forward(pixelValues: pixelValues)
    }

    /// Unnormalised text embeddings for token id sequences.
    public func encodeTexts(tokenIDs: [[Int]]) throws -> Tensor {
        try text.forward(tokenIDs: tokenIDs)
    }
}
