import Foundation
import TensorCore
import Tokenizers

/// transformers' `ChineseCLIPModel`: `text_model.*` is a BERT (no pooler: the [CLS] state is projected),
/// `vision_model.*` the CLIP ViT with its `pre_layrnorm` spelling, plus `text_projection`,
/// `visual_projection` and `logit_scale`.
public final class ChineseCLIPModel: Sendable {
    public let configuration: ChineseCLIPConfiguration
    public let parameters: ParameterStore
    public let vision: VisionTransformer
    public let text: BERTTextModel
    let textProjection: Tensor  // [projection, width]
    /// The weight file the model was read from ("" for random weights).
    public let weightsPath: String

    public static func specifications(_ configuration: ChineseCLIPConfiguration) -> [ParameterSpecification] {
        BERTTextModel.specifications(prefix: "text_model", configuration.text)
            + [ParameterSpecification("text_projection.weight", [configuration.projectionDimension, configuration.text.transformer.hiddenSize])]
            + VisionTransformer.specifications(configuration.vision, projectionDimension: configuration.projectionDimension)
            + [ParameterSpecification("logit_scale", [])]
    }

    public static func fusedGroups(_ configuration: ChineseCLIPConfiguration) -> [[String]] {
        BERTTextModel.fusedGroups(prefix: "text_model", configuration.text)
            + TransformerEncoder.fusedGroups(prefix: "vision_model.encoder", configuration.vision.transformer)
    }

    /// `packWeights` (the default) gives both towers inference copies in the packed-kernel layout; without
    /// them every product runs OpenBLAS on the parameters in the order training uses.
    public init(configuration: ChineseCLIPConfiguration, parameters: ParameterStore, weightsPath: String = "",
                packWeights: Bool = true) throws {
        do { try BLAS.ensureLoaded() } catch { throw ModelError.backend("\(error)") }
        self.configuration = configuration
        self.parameters = parameters
        self.weightsPath = weightsPath
        vision = VisionTransformer(configuration: configuration.vision, parameters: parameters, packWeights: packWeights)
        text = BERTTextModel(prefix: "text_model", configuration: configuration.text, parameters: parameters, packWeights: packWeights)
        textProjection = parameters["text_projection.weight"]
    }

    /// Loads config.json and model.safetensors (or pytorch_model.bin) from a Hugging Face Chinese-CLIP folder.
    public static func load(directory: URL) throws -> ChineseCLIPModel {
        let configuration = try ChineseCLIPConfiguration.load(fileAt: directory.appendingPathComponent("config.json"))
        let source = try BERTCheckpoint.openWeights(directory: directory)
        let parameters = try BERTCheckpoint.parameters(
            source: source, specifications: specifications(configuration), fusedGroups: fusedGroups(configuration))
        return try ChineseCLIPModel(configuration: configuration, parameters: parameters, weightsPath: source.path)
    }

    /// The folder's WordPiece tokenizer: vocab.txt + tokenizer_config.json, truncating to model_max_length
    /// when the folder sets one, else to Chinese-CLIP's 52, and never past the text tower's positions.
    public static func tokenizer(directory: URL) throws -> WordPieceTokenizer {
        let configuration = try ChineseCLIPConfiguration.load(fileAt: directory.appendingPathComponent("config.json"))
        do {
            return try WordPieceTokenizer(
                directory: directory, defaultContextLength: WordPieceTokenizer.chineseCLIPContextLength,
                maximumContextLength: configuration.text.maximumPositions)
        } catch { throw ModelError.backend("\(error)") }
    }

    /// A model with seeded random weights (benchmarks and tests; no checkpoint needed).
    public static func random(configuration: ChineseCLIPConfiguration, seed: UInt64) throws -> ChineseCLIPModel {
        let parameters = ParameterStore.random(
            specifications: specifications(configuration), fusedGroups: fusedGroups(configuration), seed: seed)
        return try ChineseCLIPModel(configuration: configuration, parameters: parameters)
    }

    /// exp(logit_scale), clamped at 100 as in CLIP training.
    public var logitScale: Float { min(exp(parameters["logit_scale"].pointer[0]), 100) }

    /// Unnormalised image embeddings for pixel values [batch, 3, size, size].
    public func encodeImages(pixelValues: Tensor) throws -> Tensor {
        try vision.forward(pixelValues: pixelValues)
    }

    /// Unnormalised text embeddings: the [CLS] state projected (get_text_features).
    public func encodeTexts(tokenIDs: [[Int]]) throws -> Tensor {
        let pooled = try text.classTokenStates(tokenIDs: tokenIDs)
        return Operations.linear(pooled, weight: textProjection, bias: nil)
    }
}

extension ChineseCLIPModel: EmbeddingModel {
    public var family: String { ChineseCLIPConfiguration.modelType }
    public var projectionDimension: Int { configuration.projectionDimension }
    public var imageSize: Int { configuration.vision.imageSize }
    public var maximumTextPositions: Int { configuration.text.maximumPositions }
}

extension ModelFamilyLoader {
    /// Hugging Face `ChineseCLIPModel` layout: config.json with model_type "chinese_clip", weights, vocab.txt.
    public static let chineseCLIP = ModelFamilyLoader(
        name: ChineseCLIPConfiguration.modelType,
        recognizes: { modelType($0) == ChineseCLIPConfiguration.modelType },
        loadModel: { try ChineseCLIPModel.load(directory: $0) },
        loadTokenizer: { try ChineseCLIPModel.tokenizer(directory: $0) })
}
