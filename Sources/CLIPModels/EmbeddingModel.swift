import Foundation
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

/// Text → token ids, already framed (start/end or [CLS]/[SEP]) and truncated to the context length.
public protocol TextTokenizing: Sendable {
    var contextLength: Int { get }
    func encode(_ text: String) -> [Int]
}

extension CLIPTokenizer: TextTokenizing {}

extension CLIPModel: EmbeddingModel {
    public var family: String { "clip" }
    public var projectionDimension: Int { configuration.projectionDimension }
    public var imageSize: Int { configuration.vision.imageSize }
    public var maximumTextPositions: Int { configuration.text.maximumPositions }
}

/// A loader for one checkpoint family: says whether a folder is its layout and loads it.
public struct ModelFamilyLoader: Sendable {
    public let name: String
    public let recognizes: @Sendable (URL) -> Bool
    public let load: @Sendable (URL) throws -> (any EmbeddingModel, any TextTokenizing)

    public init(name: String, recognizes: @escaping @Sendable (URL) -> Bool,
                load: @escaping @Sendable (URL) throws -> (any EmbeddingModel, any TextTokenizing)) {
        self.name = name
        self.recognizes = recognizes
        self.load = load
    }

    /// Hugging Face `CLIPModel` layout: config.json (model_type "clip" or absent) + model.safetensors.
    public static let huggingFaceCLIP = ModelFamilyLoader(
        name: "clip",
        recognizes: { directory in
            let config = directory.appendingPathComponent("config.json")
            guard let data = try? Data(contentsOf: config),
                  let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return false }
            let type = json["model_type"] as? String
            return type == nil || type == "clip"
        },
        load: { directory in
            (try CLIPModel.load(directory: directory), try ModelFolder.tokenizer(directory: directory))
        })

    /// Families tried in order; the first that recognises a folder loads it. Families added by other
    /// modules of this package are listed here.
    public static let all: [ModelFamilyLoader] = [huggingFaceCLIP]

    public static func load(directory: URL) throws -> (any EmbeddingModel, any TextTokenizing) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelError.fileMissing(path: directory.path)
        }
        guard let family = all.first(where: { $0.recognizes(directory) }) else {
            if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("config.json").path) {
                throw ModelError.fileMissing(path: directory.appendingPathComponent("config.json").path)
            }
            throw ModelError.invalidConfiguration(
                path: directory.appendingPathComponent("config.json").path, key: "model_type",
                reason: "not a checkpoint family ClipSearch knows (\(all.map(\.name).joined(separator: ", ")))")
        }
        return try family.load(directory)
    }
}
