import Foundation
import TensorCore
import Tokenizers

/// Reading BERT-family weights from either file format a Hugging Face folder may hold.
public enum BERTCheckpoint {
    /// Weight files in order of preference.
    public static let weightFileNames = ["model.safetensors", "pytorch_model.bin"]

    /// The first weight file present, opened by its format.
    public static func openWeights(directory: URL) throws -> any CheckpointTensorSource {
        for name in weightFileNames {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            return url.pathExtension == "safetensors" ? try SafeTensorsFile(fileAt: url) : try PyTorchCheckpoint(fileAt: url)
        }
        throw ModelError.fileMissing(path: directory.appendingPathComponent(weightFileNames.joined(separator: " or ")).path)
    }

    /// Reads every specified parameter, checking that each exists with the specified shape
    /// (size-1 dimensions may differ, as for a 0-d `logit_scale` stored as [1]).
    public static func parameters(
        source: any CheckpointTensorSource, specifications: [ParameterSpecification], fusedGroups: [[String]],
        checkpointName: (String) -> String = { $0 }
    ) throws -> ParameterStore {
        let store = ParameterStore(specifications: specifications, fusedGroups: fusedGroups)
        let shapes = source.tensorShapes
        for specification in specifications {
            let key = checkpointName(specification.name)
            guard let shape = shapes[key] else { throw ModelError.missingTensor(path: source.path, tensor: key) }
            guard shape == specification.shape || (shape.reduce(1, *) == specification.shape.reduce(1, *)
                    && shape.filter({ $0 != 1 }) == specification.shape.filter({ $0 != 1 })) else {
                throw ModelError.shapeMismatch(path: source.path, tensor: key, expected: specification.shape, actual: shape)
            }
            try source.readFloats(named: key, into: store[specification.name].pointer)
        }
        return store
    }
}

/// A sentence-transformers BERT model (e.g. all-MiniLM-L6-v2): BERT tower, attention-mask mean pooling,
/// L2 normalisation. Used to check the BERT tower against real weights.
public final class BERTSentenceEncoder: Sendable {
    public let configuration: BERTConfiguration
    public let parameters: ParameterStore
    public let model: BERTTextModel
    public let tokenizer: WordPieceTokenizer

    /// Loads config.json, model.safetensors (or pytorch_model.bin), vocab.txt and tokenizer_config.json.
    /// Texts are truncated to sentence_bert_config.json's max_seq_length when present.
    public init(directory: URL) throws {
        do { try BLAS.ensureLoaded() } catch { throw ModelError.backend("\(error)") }
        configuration = try BERTConfiguration.load(fileAt: directory.appendingPathComponent("config.json"))
        let source = try BERTCheckpoint.openWeights(directory: directory)
        // Bare BertModel checkpoints have no prefix; BertFor* heads keep the tower under "bert.".
        let prefix = source.tensorShapes["embeddings.word_embeddings.weight"] == nil
            && source.tensorShapes["bert.embeddings.word_embeddings.weight"] != nil ? "bert" : ""
        parameters = try BERTCheckpoint.parameters(
            source: source, specifications: BERTTextModel.specifications(prefix: prefix, configuration),
            fusedGroups: BERTTextModel.fusedGroups(prefix: prefix, configuration))
        model = BERTTextModel(prefix: prefix, configuration: configuration, parameters: parameters)
        var length = configuration.maximumPositions
        let sentenceConfig = directory.appendingPathComponent("sentence_bert_config.json")
        if FileManager.default.fileExists(atPath: sentenceConfig.path),
           let value = try ConfigurationReader.readJSONObject(sentenceConfig)["max_seq_length"] as? NSNumber {
            length = min(length, max(2, value.intValue))
        }
        do {
            tokenizer = try WordPieceTokenizer(directory: directory, defaultContextLength: length, maximumContextLength: length)
        } catch { throw ModelError.backend("\(error)") }
    }

    /// Mean-pooled, not normalised: [batch, width].
    public func meanPooled(tokenIDs: [[Int]]) throws -> Tensor {
        try model.meanPooledStates(tokenIDs: tokenIDs)
    }

    /// Unit-length sentence embeddings, one per text.
    public func embed(texts: [String]) throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let pooled = try meanPooled(tokenIDs: texts.map(tokenizer.encode))
        Operations.normalizeRowsInPlace(pooled)
        return (0..<texts.count).map { pooled.row($0) }
    }
}
