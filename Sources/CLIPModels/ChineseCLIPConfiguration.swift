import Foundation

/// transformers' `ChineseCLIPConfig` read from config.json (model_type "chinese_clip"): a BERT text tower
/// (`text_config`, ChineseCLIPTextConfig defaults) and a CLIP ViT (`vision_config`, ChineseCLIPVisionConfig
/// defaults, the same as CLIPVisionConfig's).
public struct ChineseCLIPConfiguration: Sendable, Equatable {
    public static let modelType = "chinese_clip"

    public var text: BERTConfiguration
    public var vision: VisionTowerConfiguration
    public var projectionDimension: Int

    public init(text: BERTConfiguration, vision: VisionTowerConfiguration, projectionDimension: Int) {
        self.text = text
        self.vision = vision
        self.projectionDimension = projectionDimension
    }

    public static func load(fileAt url: URL) throws -> ChineseCLIPConfiguration {
        try ChineseCLIPConfiguration(json: try ConfigurationReader.readJSONObject(url), path: url.path)
    }

    public init(json root: [String: Any], path: String) throws {
        let reader = ConfigurationReader(path: path)
        guard (root["model_type"] as? String) == Self.modelType else {
            throw ModelError.invalidConfiguration(
                path: path, key: "model_type",
                reason: "'\(root["model_type"].map { "\($0)" } ?? "(absent)")' is not a Chinese-CLIP model (expected '\(Self.modelType)')")
        }
        let textJSON = try reader.merged(root, "text_config", "text_config_dict")
        let visionJSON = try reader.merged(root, "vision_config", "vision_config_dict")
        text = try BERTConfiguration(json: textJSON, path: path, section: "text_config")
        vision = VisionTowerConfiguration(
            transformer: try reader.transformer(visionJSON, prefix: "vision_config", defaults: (768, 3072, 12, 12)),
            imageSize: try reader.integer(visionJSON, "image_size", in: "vision_config", default: 224),
            patchSize: try reader.integer(visionJSON, "patch_size", in: "vision_config", default: 32),
            channelCount: try reader.integer(visionJSON, "num_channels", in: "vision_config", default: 3))
        projectionDimension = try reader.integer(root, "projection_dim", in: "", default: 512)
        guard vision.imageSize % vision.patchSize == 0 else {
            throw ModelError.invalidConfiguration(
                path: path, key: "vision_config.image_size",
                reason: "\(vision.imageSize) is not a multiple of patch_size \(vision.patchSize)")
        }
        guard text.paddingTokenID < text.vocabularySize else {
            throw ModelError.invalidConfiguration(
                path: path, key: "text_config.pad_token_id",
                reason: "\(text.paddingTokenID) is outside the vocabulary of \(text.vocabularySize)")
        }
    }
}
