import Foundation
import ImageCodecs
import TensorCore
import Tokenizers

/// What the search layers need from any checkpoint family (OpenAI/HF CLIP, OpenCLIP, Chinese-CLIP…):
/// two towers projecting into one space, plus the learned temperature.
public protocol EmbeddingModel: Sendable {
    /// A short family name for `models info` ("clip", "chinese_clip", "open_clip").
    var family: String { get }
    var projectionDimension: Int { get }
    /// Side of the square input the image tower expects.
    var imageSize: Int { get }
    /// Longest token sequence the text tower accepts.
    var maximumTextPositions: Int { get }
    /// exp(logit_scale), clamped at 100.
    var logitScale: Float { get }
    /// Unnormalised image embeddings [batch, projection] for pixel values [batch, 3, size, size].
    func encodeImages(pixelValues: Tensor) throws -> Tensor
    /// Unnormalised text embeddings [batch, projection] for token id sequences as the tokenizer made them.
    func encodeTexts(tokenIDs: [[Int]]) throws -> Tensor
}

extension CLIPModel: EmbeddingModel {
    public var family: String { "clip" }
    public var projectionDimension: Int { configuration.projectionDimension }
    public var imageSize: Int { configuration.vision.imageSize }
    public var maximumTextPositions: Int { configuration.text.maximumPositions }
}

/// A loader for one checkpoint family: says whether a folder is its layout and loads its parts.
public struct ModelFamilyLoader: Sendable {
    public let name: String
    public let recognizes: @Sendable (URL) -> Bool
    public let loadModel: @Sendable (URL) throws -> any EmbeddingModel
    /// The tokenizer alone, without reading the weights (what `clip-search tokenize` needs).
    public let loadTokenizer: @Sendable (URL) throws -> any TextTokenizing
    /// The family's own image preprocessing; nil reads preprocessor_config.json (CLIP defaults if absent).
    public let loadPreprocessor: (@Sendable (URL) throws -> CLIPImagePreprocessor)?

    public init(name: String, recognizes: @escaping @Sendable (URL) -> Bool,
                loadModel: @escaping @Sendable (URL) throws -> any EmbeddingModel,
                loadTokenizer: @escaping @Sendable (URL) throws -> any TextTokenizing,
                loadPreprocessor: (@Sendable (URL) throws -> CLIPImagePreprocessor)? = nil) {
        self.name = name
        self.recognizes = recognizes
        self.loadModel = loadModel
        self.loadTokenizer = loadTokenizer
        self.loadPreprocessor = loadPreprocessor
    }

    /// Hugging Face `CLIPModel` layout: config.json (model_type "clip" or absent) + model.safetensors.
    public static let huggingFaceCLIP = ModelFamilyLoader(
        name: "clip",
        recognizes: { directory in
            guard let type = modelType(directory) else { return false }
            return type.isEmpty || type == "clip"
        },
        loadModel: { try CLIPModel.load(directory: $0) },
        loadTokenizer: { try ModelFolder.tokenizer(directory: $0) })

    /// config.json's model_type ("" when absent), or nil when there is no readable config.json.
    public static func modelType(_ directory: URL) -> String? {
        let config = directory.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: config),
              let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        return json["model_type"] as? String ?? ""
    }

    /// Families tried in order; the first that recognises a folder loads it.
    public static let all: [ModelFamilyLoader] = [openCLIP, chineseCLIP, huggingFaceCLIP]

    /// The family of a model folder, or an error naming what is missing.
    public static func family(of directory: URL) throws -> ModelFamilyLoader {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelError.fileMissing(path: directory.path)
        }
        if let family = all.first(where: { $0.recognizes(directory) }) { return family }
        let config = directory.appendingPathComponent("config.json")
        if !FileManager.default.fileExists(atPath: config.path) { throw ModelError.fileMissing(path: config.path) }
        throw ModelError.invalidConfiguration(
            path: config.path, key: "model_type",
            reason: "not a checkpoint family ClipSearch knows (\(all.map(\.name).joined(separator: ", ")))")
    }

    public static func load(directory: URL) throws -> (any EmbeddingModel, any TextTokenizing) {
        let family = try family(of: directory)
        return (try family.loadModel(directory), try family.loadTokenizer(directory))
    }

    public static func tokenizer(directory: URL) throws -> any TextTokenizing {
        try family(of: directory).loadTokenizer(directory)
    }
}
