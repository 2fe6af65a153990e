import Foundation
import TensorCore

/// A BERT text tower's sizes as transformers' `BertConfig` / `ChineseCLIPTextConfig` read them, with
/// their defaults for keys a file leaves out (`save_pretrained` writes only differences from them).
public struct BERTConfiguration: Sendable, Equatable {
    public var transformer: TransformerConfiguration
    public var vocabularySize: Int
    public var maximumPositions: Int
    public var tokenTypeCount: Int
    public var paddingTokenID: Int

    public init(transformer: TransformerConfiguration, vocabularySize: Int, maximumPositions: Int,
                tokenTypeCount: Int = 2, paddingTokenID: Int = 0) {
        self.transformer = transformer
        self.vocabularySize = vocabularySize
        self.maximumPositions = maximumPositions
        self.tokenTypeCount = tokenTypeCount
        self.paddingTokenID = paddingTokenID
    }

    /// A standalone BERT `config.json` (model_type "bert", e.g. sentence-transformers models).
    public static func load(fileAt url: URL) throws -> BERTConfiguration {
        let root = try ConfigurationReader.readJSONObject(url)
        let path = url.path
        if let type = root["model_type"] as? String, !["bert", "chinese_clip_text_model", "roberta"].contains(type) {
            throw ModelError.invalidConfiguration(path: path, key: "model_type", reason: "'\(type)' is not a BERT model")
        }
        return try BERTConfiguration(json: root, path: path, section: "")
    }

    /// - Parameter section: where `json` sits in the file ("text_config" or "" for the root), for messages.
    public init(json: [String: Any], path: String, section: String) throws {
        let reader = ConfigurationReader(path: path)
        let prefix = section
        func name(_ key: String) -> String { section.isEmpty ? key : "\(section).\(key)" }
        let hidden = try reader.integer(json, "hidden_size", in: prefix, default: 768)
        let heads = try reader.integer(json, "num_attention_heads", in: prefix, default: 12)
        guard hidden % heads == 0 else {
            throw ModelError.invalidConfiguration(path: path, key: name("num_attention_heads"),
                                                  reason: "hidden_size \(hidden) is not divisible by \(heads) heads")
        }
        let activationName = (json["hidden_act"] as? String) ?? "gelu"
        guard let activation = Activation(rawValue: activationName) else {
            throw ModelError.unsupportedActivation(path: "\(path) (\(name("hidden_act")))", name: activationName)
        }
        if let positionType = json["position_embedding_type"] as? String, positionType != "absolute" {
            throw ModelError.invalidConfiguration(path: path, key: name("position_embedding_type"),
                                                  reason: "'\(positionType)' is not supported (only 'absolute')")
        }
        transformer = TransformerConfiguration(
            hiddenSize: hidden,
            intermediateSize: try reader.integer(json, "intermediate_size", in: prefix, default: 3072),
            layerCount: try reader.integer(json, "num_hidden_layers", in: prefix, default: 12),
            headCount: heads, activation: activation,
            layerNormEpsilon: Float(try reader.number(json, "layer_norm_eps", default: 1e-12)))
        vocabularySize = try reader.integer(json, "vocab_size", in: prefix, default: 30522)
        maximumPositions = try reader.integer(json, "max_position_embeddings", in: prefix, default: 512)
        tokenTypeCount = try reader.integer(json, "type_vocab_size", in: prefix, default: 2)
        paddingTokenID = try reader.integer(json, "pad_token_id", in: prefix, default: 0)
    }
}
