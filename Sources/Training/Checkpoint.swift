import CLIPModels
import Foundation
import TensorCore

/// Saves a model in its family's Hugging Face layout (loadable by `CLIPModel.load` / `ChineseCLIPModel.load`
/// and by transformers) and the optimizer state needed to resume.
public enum Checkpoint {
    /// Files copied from the source model folder next to the weights (those that exist).
    static let companionFiles = ["config.json", "vocab.json", "merges.txt", "vocab.txt", "tokenizer.json", "tokenizer_config.json",
                                 "special_tokens_map.json", "preprocessor_config.json"]
    public static let modelFileName = "model.safetensors"
    public static let stateFileName = "training_state.json"
    public static let optimizerFileName = "optimizer_state.safetensors"

    public static func saveModel(_ model: TrainableModel, to directory: URL, companionsFrom source: URL, configFile: URL? = nil) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let tensors = model.parameters.orderedTensors.map { entry in
                (name: entry.name, shape: entry.tensor.shape, values: UnsafeBufferPointer(start: UnsafePointer(entry.tensor.pointer), count: entry.tensor.count))
            }
            try SafeTensorsWriter.write(tensors, to: directory.appendingPathComponent(modelFileName))
            for name in companionFiles {
                var origin = source.appendingPathComponent(name)
                if name == "config.json", let configFile { origin = configFile }
                let target = directory.appendingPathComponent(name)
                guard FileManager.default.fileExists(atPath: origin.path),
                      origin.standardizedFileURL.path != target.standardizedFileURL.path else { continue }
                if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
                try FileManager.default.copyItem(at: origin, to: target)
            }
        } catch let error as ModelError {
            throw TrainingError.model("\(error)")
        } catch {
            throw TrainingError.unreadable(path: directory.path, reason: "cannot write checkpoint: \(error.localizedDescription)")
        }
    }

    public static func saveOptimizer(_ optimizer: Optimizer, state: TrainingState, to directory: URL) throws {
        let tensors = optimizer.stateTensors.map { entry in
            (name: entry.name, shape: entry.tensor.shape, values: UnsafeBufferPointer(start: UnsafePointer(entry.tensor.pointer), count: entry.tensor.count))
        }
        do {
            try SafeTensorsWriter.write(tensors, metadata: ["format": "clipsearch-optimizer", "step": "\(optimizer.step)"],
                                        to: directory.appendingPathComponent(optimizerFileName))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(state).write(to: directory.appendingPathComponent(stateFileName), options: .atomic)
        } catch {
            throw TrainingError.unreadable(path: directory.path, reason: "cannot write training state: \(error.localizedDescription)")
        }
    }

    public static func loadState(from directory: URL) throws -> TrainingState {
        let url = directory.appendingPathComponent(stateFileName)
        guard let data = try? Data(contentsOf: url) else {
            throw TrainingError.invalidState(path: url.path, reason: "missing or unreadable (nothing to resume)")
        }
        do { return try JSONDecoder().decode(TrainingState.self, from: data) } catch {
            throw TrainingError.invalidState(path: url.path, reason: "\(error)")
        }
    }
}

/// Where a run is: enough to continue it exactly. Shuffling is derived from `seed` and the epoch
/// number (not a running generator), so the state of the random stream is (seed, epoch, nextBatch).
public struct TrainingState: Codable, Sendable, Equatable {
    public var step: Int
    public var epoch: Int
    public var nextBatch: Int
    public var seed: UInt64
    public var optimizer: String
    public var totalSteps: Int
    public var trainPairs: Int
    public var heldOutPairs: Int
    public var lastLoss: Double?
    /// nil in states written before these were recorded.
    public var batchSize: Int? = nil
    public var accumulate: Int? = nil
}
