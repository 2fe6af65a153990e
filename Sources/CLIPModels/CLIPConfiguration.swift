import Foundation
import TensorCore

/// The transformer sizes of one tower, read from `text_config` / `vision_config`.
public struct TransformerConfiguration: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var activation: Activation
    public var layerNormEpsilon: Float

    public var headDimension: Int { hiddenSize / headCount }
}

public struct TextTowerConfiguration: Sendable, Equatable {
    public var transformer: TransformerConfiguration
    public var vocabularySize: Int
    public var maximumPositions: Int
    public var endTokenID: Int
    /// Checkpoints from before transformers 4.31 set eos_token_id = 2 and pool at argmax(ids).
    public var poolsAtArgmax: Bool { endTokenID == 2 }
}

public struct VisionTowerConfiguration: Sendable, Equatable {
    public var transformer: TransformerConfiguration
    public var imageSize: Int
    public var patchSize: Int
    public var channelCount: Int

    public var patchesPerSide: Int { imageSize / patchSize }
    public var patchCount: Int { patchesPerSide * patchesPerSide }
    /// Patches plus the class token.
    public var sequenceLength: Int { patchCount + 1 }
}

/// A CLIP model's configuration as Hugging Face's `CLIPConfig` reads `config.json`, with the same
/// defaults for keys a file leaves out, so every public CLIP checkpoint's sizes come from its file.
public struct CLIPConfiguration: Sendable, Equatable {
    public var text: TextTowerConfiguration
    public var vision: VisionTowerConfiguration
    public var projectionDimension: Int
    public var logitScaleInitialValue: Float
    public var modelType: String

    public init(text: TextTowerConfiguration, vision: VisionTowerConfiguration, projectionDimension: Int,
                logitScaleInitialValue: Float = 2.6592, modelType: String = "clip") {
        self.text = text
        self.vision = vision
        self.projectionDimension = projectionDimension
        self.logitScaleInitialValue = logitScaleInitialValue
        self.modelType = modelType
    }

    /// OpenAI's ViT-B/32 exactly as `openai/clip-vit-base-patch32` configures it (eos_token_id 2: argmax pooling).
    /// Used for benchmarks.
    public static let vitBase32 = CLIPConfiguration(
        text: TextTowerConfiguration(
            transformer: TransformerConfiguration(hiddenSize: 512, intermediateSize: 2048, layerCount: 12, headCount: 8,
                                                  activation: .quickGELU, layerNormEpsilon: 1e-5),
            vocabularySize: 49408, maximumPositions: 77, endTokenID: 2),
        vision: VisionTowerConfiguration(
            transformer: TransformerConfiguration(hiddenSize: 768, intermediateSize: 3072, layerCount: 12, headCount: 12,
                                                  activation: .quickGELU, layerNormEpsilon: 1e-5),
            imageSize: 224, patchSize: 32, channelCount: 3),
        projectionDimension: 512)

    public static func load(fileAt url: URL) throws -> CLIPConfiguration {
        try CLIPConfiguration(json: ConfigurationReader.readJSONObject(url), path: url.path)
    }

    public init(json root: [String: Any], path: String) throws {
        let reader = ConfigurationReader(path: path)
        if let type = root["model_type"] as? String, type != "clip" {
            throw ModelError.invalidConfiguration(path: path, key: "model_type",
                                                  reason: "'\(type)' is not a CLIP model (expected 'clip')")
        }
        // transformers: `*_config_dict` (older files) overrides `*_config`.
        let textJSON = try reader.merged(root, "text_config", "text_config_dict")
        let visionJSON = try reader.merged(root, "vision_config", "vision_config_dict")
        let textTransformer = try reader.transformer(
            textJSON, prefix: "text_config", defaults: (512, 2048, 12, 8))
        let visionTransformer = try reader.transformer(
            visionJSON, prefix: "vision_config", defaults: (768, 3072, 12, 12))
        text = TextTowerConfiguration(
            transformer: textTransformer,
            vocabularySize: try reader.integer(textJSON, "vocab_size", in: "text_config", default: 49408),
            maximumPositions: try reader.integer(textJSON, "max_position_embeddings", in: "text_config", default: 77),
            endTokenID: try reader.integer(textJSON, "eos_token_id", in: "text_config", default: 49407))
        vision = VisionTowerConfiguration(
            transformer: visionTransformer,
            imageSize: try reader.integer(visionJSON, "image_size", in: "vision_config", default: 224),
            patchSize: try reader.integer(visionJSON, "patch_size", in: "vision_config", default: 32),
            channelCount: try reader.integer(visionJSON, "num_channels", in: "vision_config", default: 3))
        projectionDimension = try reader.integer(root, "projection_dim", in: "", default: 512)
        logitScaleInitialValue = Float(try reader.number(root, "logit_scale_init_value", default: 2.6592))
        modelType = "clip"
        guard vision.imageSize % vision.patchSize == 0 else {
            throw ModelError.invalidConfiguration(
                path: path, key: "vision_config.image_size",
                reason: "\(vision.imageSize) is not a multiple of patch_size \(vision.patchSize)")
        }
        guard text.endTokenID >= 0, text.endTokenID < text.vocabularySize else {
            throw ModelError.invalidConfiguration(
                path: path, key: "text_config.eos_token_id",
                reason: "\(text.endTokenID) is outside the vocabulary of \(text.vocabularySize)")
        }
    }
}

/// Typed access to loosely typed JSON with errors that name the key and the file.
struct ConfigurationReader {
    let path: String

    /// The JSON object in a config file; a missing, unreadable or non-object file is an error naming it.
    static func readJSONObject(_ url: URL) throws -> [String: Any] {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw ModelError.fileMissing(path: path) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError.unreadable(path: path, reason: error.localizedDescription)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw ModelError.invalidConfiguration(path: path, key: "(root)", reason: "not a JSON object")
        }
        return root
    }

    func merged(_ root: [String: Any], _ key: String, _ overrideKey: String) throws -> [String: Any] {
        var result: [String: Any] = [:]
        for name in [key, overrideKey] {
            guard let value = root[name], !(value is NSNull) else { continue }
            guard let dictionary = value as? [String: Any] else {
                throw ModelError.invalidConfiguration(path: path, key: name, reason: "expected a JSON object")
            }
            result.merge(dictionary) { _, new in new }
        }
        return result
    }

    func number(_ json: [String: Any], _ key: String, default fallback: Double) throws -> Double {
        guard let value = json[key], !(value is NSNull) else { return fallback }
        if let number = value as? NSNumber, !(value is Bool) { return number.doubleValue }
        throw ModelError.invalidConfiguration(path: path, key: key, reason: "expected a number, found \(value)")
    }

    func integer(_ json: [String: Any], _ key: String, in section: String, default fallback: Int) throws -> Int {
        let name = section.isEmpty ? key : "\(section).\(key)"
        guard let value = json[key], !(value is NSNull) else { return fallback }
        guard let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue), integer > 0 || key.hasSuffix("token_id") && integer >= 0 else {
            throw ModelError.invalidConfiguration(path: path, key: name, reason: "expected a positive integer, found \(value)")
        }
        return integer
    }

    func transformer(_ json: [String: Any], prefix: String, defaults: (Int, Int, Int, Int)) throws -> TransformerConfiguration {
        let hidden = try integer(json, "hidden_size", in: prefix, default: defaults.0)
        let heads = try integer(json, "num_attention_heads", in: prefix, default: defaults.3)
        guard hidden % heads == 0 else {
            throw ModelError.invalidConfiguration(
                path: path, key: "\(prefix).num_attention_heads",
                reason: "hidden_size \(hidden) is not divisible by \(heads) heads")
        }
        let activationName = (json["hidden_act"] as? String) ?? "quick_gelu"
        guard let activation = Activation(rawValue: activationName) else {
            throw ModelError.unsupportedActivation(path: "\(path) (\(prefix).hidden_act)", name: activationName)
        }
        return TransformerConfiguration(
            hiddenSize: hidden,
            intermediateSize: try integer(json, "intermediate_size", in: prefix, default: defaults.1),
            layerCount: try integer(json, "num_hidden_layers", in: prefix, default: defaults.2),
            headCount: heads,
            activation: activation,
            layerNormEpsilon: Float(try number(json, "layer_norm_eps", default: 1e-5)))
    }
}
