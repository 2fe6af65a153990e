import CLIPModels
import Foundation
import TensorCore
import Tokenizers

/// A two-tower model as training sees it: the live parameter store (checkpoint names, so checkpoints
/// save in the family's Hugging Face layout) and which text tower reads it. Both families share the
/// CLIP ViT image tower (`vision_model.*`, `visual_projection`) and `logit_scale`.
public struct TrainableModel: Sendable {
    public enum Architecture: Sendable {
        /// Hugging Face `CLIPModel`: causal text transformer.
        case clip(CLIPModel)
        /// Hugging Face `ChineseCLIPModel`: BERT text tower with [CLS] pooling.
        case chineseCLIP(ChineseCLIPConfiguration)
    }

    public let architecture: Architecture
    public let parameters: ParameterStore

    /// Wraps a CLIP model built with `packWeights: false` (packed copies would go stale as weights update).
    public init(clip model: CLIPModel) {
        architecture = .clip(model)
        parameters = model.parameters
    }

    public init(chineseCLIP configuration: ChineseCLIPConfiguration, parameters: ParameterStore) throws {
        do { try BLAS.ensureLoaded() } catch { throw TrainingError.model("\(error)") }
        architecture = .chineseCLIP(configuration)
        self.parameters = parameters
    }

    public var family: String {
        switch architecture {
        case .clip: return "clip"
        case .chineseCLIP: return ChineseCLIPConfiguration.modelType
        }
    }

    public var projectionDimension: Int {
        switch architecture {
        case .clip(let model): return model.configuration.projectionDimension
        case .chineseCLIP(let configuration): return configuration.projectionDimension
        }
    }

    public var vision: VisionTowerConfiguration {
        switch architecture {
        case .clip(let model): return model.configuration.vision
        case .chineseCLIP(let configuration): return configuration.vision
        }
    }

    public var maximumTextPositions: Int {
        switch architecture {
        case .clip(let model): return model.configuration.text.maximumPositions
        case .chineseCLIP(let configuration): return configuration.text.maximumPositions
        }
    }

    /// Loads a Hugging Face CLIP or Chinese-CLIP folder (chosen by config.json's model_type).
    public static func load(directory: URL) throws -> TrainableModel {
        do {
            switch ModelFamilyLoader.modelType(directory) {
            case ChineseCLIPConfiguration.modelType?:
                let configuration = try ChineseCLIPConfiguration.load(fileAt: directory.appendingPathComponent("config.json"))
                let parameters = try BERTCheckpoint.parameters(
                    source: try BERTCheckpoint.openWeights(directory: directory),
                    specifications: ChineseCLIPModel.specifications(configuration), fusedGroups: ChineseCLIPModel.fusedGroups(configuration))
                return try TrainableModel(chineseCLIP: configuration, parameters: parameters)
            case let type? where !type.isEmpty && type != "clip":
                throw TrainingError.model(
                    "\(directory.appendingPathComponent("config.json").path): model_type '\(type)' cannot be trained (clip or chinese_clip)")
            default:
                return TrainableModel(clip: try CLIPModel.load(directory: directory, packWeights: false))
            }
        } catch let error as TrainingError { throw error } catch { throw TrainingError.model("\(error)") }
    }

    /// Seeded random weights for the architecture a config.json describes.
    public static func random(configFile: URL, seed: UInt64) throws -> TrainableModel {
        do {
            let root = try JSONSerialization.jsonObject(with: try Data(contentsOf: configFile)) as? [String: Any]
            guard (root?["model_type"] as? String) == ChineseCLIPConfiguration.modelType else {
                let configuration = try CLIPConfiguration.load(fileAt: configFile)
                return TrainableModel(clip: try CLIPModel.random(configuration: configuration, seed: seed, packWeights: false))
            }
            let configuration = try ChineseCLIPConfiguration.load(fileAt: configFile)
            let parameters = ParameterStore.random(
                specifications: ChineseCLIPModel.specifications(configuration), fusedGroups: ChineseCLIPModel.fusedGroups(configuration),
                seed: seed)
            return try TrainableModel(chineseCLIP: configuration, parameters: parameters)
        } catch let error as TrainingError { throw error } catch let error as ModelError { throw TrainingError.model("\(error)") } catch {
            throw TrainingError.unreadable(path: configFile.path, reason: error.localizedDescription)
        }
    }

    /// The folder's tokenizer exactly as inference loads it (CLIP BPE, or Chinese-CLIP's WordPiece).
    public func tokenizer(directory: URL) throws -> any TextTokenizing {
        do {
            switch architecture {
            case .clip: return try ModelFolder.tokenizer(directory: directory)
            case .chineseCLIP: return try ChineseCLIPModel.tokenizer(directory: directory)
            }
        } catch { throw TrainingError.model("\(error)") }
    }
}
