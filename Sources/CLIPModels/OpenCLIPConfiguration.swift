import Foundation
import TensorCore

/// An OpenCLIP model as `open_clip_config.json` describes it (`model_cfg` + `preprocess_cfg`), with
/// open_clip's own defaults (model.py's CLIPVisionCfg / CLIPTextCfg) for keys a file leaves out.
/// Options that change the architecture beyond what these towers implement are refused by name.
public struct OpenCLIPConfiguration: Sendable, Equatable {
    public enum ImageTower: Sendable, Equatable {
        case visionTransformer(VisionTowerConfiguration)
        case resNet(ResNetConfiguration)
    }

    public var embedDimension: Int
    public var image: ImageTower
    /// The text tower; OpenCLIP pools at argmax(ids), expressed as `endTokenID` 2 (see `poolsAtArgmax`).
    public var text: TextTowerConfiguration
    public var quickGELU: Bool
    /// `preprocess_cfg` mean and std (OpenAI's values when absent).
    public var mean: [Float]
    public var std: [Float]

    public var imageSize: Int {
        switch image {
        case .visionTransformer(let vision): return vision.imageSize
        case .resNet(let resNet): return resNet.imageSize
        }
    }

    public static func load(fileAt url: URL) throws -> OpenCLIPConfiguration {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw ModelError.fileMissing(path: path) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ModelError.unreadable(path: path, reason: error.localizedDescription) }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.invalidConfiguration(path: path, key: "(root)", reason: "not a JSON object")
        }
        return try OpenCLIPConfiguration(json: root, path: path)
    }

    public init(json root: [String: Any], path: String) throws {
        let reader = ConfigurationReader(path: path)
        // Hub repos wrap the model in "model_cfg"; open_clip's own model_configs/*.json are bare.
        let model = try Self.object(root, "model_cfg", path: path) ?? root
        guard let visionJSON = try Self.object(model, "vision_cfg", path: path),
              let textJSON = try Self.object(model, "text_cfg", path: path) else {
            throw ModelError.invalidConfiguration(path: path, key: "model_cfg", reason: "needs vision_cfg and text_cfg objects")
        }
        embedDimension = try reader.integer(model, "embed_dim", in: "model_cfg", default: 512)
        let modelName = (root["model_name"] as? String) ?? ""
        quickGELU = (model["quick_gelu"] as? Bool) ?? modelName.lowercased().contains("quickgelu")
        let activation: Activation = quickGELU ? .quickGELU : .gelu

        try Self.refuse(visionJSON, section: "vision_cfg", path: path, options: [
            "timm_model_name", "ls_init_value", "attentional_pool", "no_ln_pre", "act_kwargs", "norm_kwargs", "qk_norm",
            "scaled_cosine_attn", "scale_heads", "scale_attn_inner", "scale_attn", "scale_fc",
        ])
        try Self.require(visionJSON, "pool_type", equals: "tok", section: "vision_cfg", path: path)
        try Self.require(visionJSON, "pos_embed_type", equals: "learnable", section: "vision_cfg", path: path)
        let imageSize = try Self.squareImageSize(visionJSON, path: path)
        let visionWidth = try reader.integer(visionJSON, "width", in: "vision_cfg", default: 768)
        let headWidth = try reader.integer(visionJSON, "head_width", in: "vision_cfg", default: 64)
        if let stages = visionJSON["layers"] as? [Any] {
            let layers = stages.compactMap { ($0 as? NSNumber)?.intValue }
            guard layers.count == 4, layers.count == stages.count, layers.allSatisfy({ $0 > 0 }) else {
                throw ModelError.invalidConfiguration(path: path, key: "vision_cfg.layers", reason: "a ResNet needs four positive block counts, found \(stages)")
            }
            guard imageSize % 32 == 0, (visionWidth * 32) % headWidth == 0 else {
                throw ModelError.invalidConfiguration(
                    path: path, key: "vision_cfg.image_size",
                    reason: "ResNet image size \(imageSize) must be a multiple of 32 and width·32 divisible by head_width \(headWidth)")
            }
            image = .resNet(ResNetConfiguration(layers: layers, width: visionWidth, imageSize: imageSize,
                                                headCount: visionWidth * 32 / headWidth, outputDimension: embedDimension))
        } else {
            let patchSize = try reader.integer(visionJSON, "patch_size", in: "vision_cfg", default: 16)
            guard visionWidth % headWidth == 0, imageSize % patchSize == 0 else {
                throw ModelError.invalidConfiguration(
                    path: path, key: "vision_cfg",
                    reason: "width \(visionWidth) must divide by head_width \(headWidth) and image_size \(imageSize) by patch_size \(patchSize)")
            }
            let ratio = try reader.number(visionJSON, "mlp_ratio", default: 4)
            image = .visionTransformer(VisionTowerConfiguration(
                transformer: TransformerConfiguration(
                    hiddenSize: visionWidth, intermediateSize: Int(Double(visionWidth) * ratio),
                    layerCount: try reader.integer(visionJSON, "layers", in: "vision_cfg", default: 12),
                    headCount: visionWidth / headWidth, activation: activation, layerNormEpsilon: 1e-5),
                imageSize: imageSize, patchSize: patchSize, channelCount: 3))
        }

        try Self.refuse(textJSON, section: "text_cfg", path: path, options: [
            "hf_model_name", "ls_init_value", "embed_cls", "no_causal_mask", "proj_bias", "act_kwargs", "norm_kwargs",
            "qk_norm", "scaled_cosine_attn", "scale_heads", "scale_attn_inner", "scale_attn", "scale_fc",
        ])
        try Self.require(textJSON, "pool_type", equals: "argmax", section: "text_cfg", path: path)
        try Self.require(textJSON, "proj_type", equals: "linear", section: "text_cfg", path: path)
        let textWidth = try reader.integer(textJSON, "width", in: "text_cfg", default: 512)
        let textHeads = try reader.integer(textJSON, "heads", in: "text_cfg", default: 8)
        guard textWidth % textHeads == 0 else {
            throw ModelError.invalidConfiguration(path: path, key: "text_cfg.heads", reason: "width \(textWidth) is not divisible by \(textHeads) heads")
        }
        let textRatio = try reader.number(textJSON, "mlp_ratio", default: 4)
        text = TextTowerConfiguration(
            transformer: TransformerConfiguration(
                hiddenSize: textWidth, intermediateSize: Int(Double(textWidth) * textRatio),
                layerCount: try reader.integer(textJSON, "layers", in: "text_cfg", default: 12),
                headCount: textHeads, activation: activation, layerNormEpsilon: 1e-5),
            vocabularySize: try reader.integer(textJSON, "vocab_size", in: "text_cfg", default: 49408),
            maximumPositions: try reader.integer(textJSON, "context_length", in: "text_cfg", default: 77),
            endTokenID: 2)

        let preprocess = try Self.object(root, "preprocess_cfg", path: path) ?? [:]
        mean = try Self.triple(preprocess, "mean", default: [0.48145466, 0.4578275, 0.40821073], path: path)
        std = try Self.triple(preprocess, "std", default: [0.26862954, 0.26130258, 0.27577711], path: path)
    }

    private static func object(_ json: [String: Any], _ key: String, path: String) throws -> [String: Any]? {
        guard let value = json[key], !(value is NSNull) else { return nil }
        guard let object = value as? [String: Any] else {
            throw ModelError.invalidConfiguration(path: path, key: key, reason: "expected a JSON object")
        }
        return object
    }

    /// Options whose non-default value needs layers these towers do not have.
    private static func refuse(_ json: [String: Any], section: String, path: String, options: [String]) throws {
        for option in options {
            guard let value = json[option], !(value is NSNull) else { continue }
            if let flag = value as? Bool, !flag { continue }
            if let text = value as? String, text.isEmpty { continue }
            if let object = value as? [String: Any], object.isEmpty { continue }
            throw ModelError.invalidConfiguration(
                path: path, key: "\(section).\(option)", reason: "\(value) is not supported by ClipSearch's OpenCLIP towers")
        }
    }

    private static func require(_ json: [String: Any], _ key: String, equals expected: String, section: String, path: String) throws {
        guard let value = json[key], !(value is NSNull) else { return }
        guard let text = value as? String, text == expected else {
            throw ModelError.invalidConfiguration(path: path, key: "\(section).\(key)", reason: "\(value) is not supported (only '\(expected)')")
        }
    }

    private static func squareImageSize(_ json: [String: Any], path: String) throws -> Int {
        guard let value = json["image_size"], !(value is NSNull) else { return 224 }
        let sides = ((value as? [Any]) ?? [value]).compactMap { ($0 as? NSNumber)?.intValue }
        guard let side = sides.first, side > 0, sides.allSatisfy({ $0 == side }) else {
            throw ModelError.invalidConfiguration(path: path, key: "vision_cfg.image_size", reason: "expected a positive square size, found \(value)")
        }
        return side
    }

    private static func triple(_ json: [String: Any], _ key: String, default fallback: [Float], path: String) throws -> [Float] {
        guard let value = json[key], !(value is NSNull) else { return fallback }
        let numbers = ((value as? [Any]) ?? []).compactMap { ($0 as? NSNumber)?.floatValue }
        guard numbers.count == 3 else {
            throw ModelError.invalidConfiguration(path: path, key: "preprocess_cfg.\(key)", reason: "expected three numbers, found \(value)")
        }
        return numbers
    }
}
