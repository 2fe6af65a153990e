import Foundation
import ImageCodecs
import Tokenizers

/// The non-weight pieces of an OpenCLIP folder: its tokenizer and its preprocessing.
public enum OpenCLIPFolder {
    public static func recognizes(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(OpenCLIPModel.configurationFileName).path)
    }

    /// Environment variable naming a folder with the CLIP BPE vocab.json and merges.txt.
    public static let vocabularyEnvironmentVariable = "CLIPSEARCH_CLIP_BPE_DIR"

    /// Folders searched for the CLIP BPE vocabulary when the model folder has none (OpenCLIP hub repos
    /// ship only open_clip_config.json and weights): the environment variable's folder,
    /// `<executable dir>/../share/clip-search/clip-bpe`, then the copy in this source tree.
    public static func vocabularyDirectories(environment: [String: String] = ProcessInfo.processInfo.environment) -> [URL] {
        var result: [URL] = []
        if let folder = environment[vocabularyEnvironmentVariable], !folder.isEmpty { result.append(URL(fileURLWithPath: folder)) }
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            result.append(executable.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("share/clip-search/clip-bpe"))
        }
        let sourceTree = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        result.append(sourceTree.appendingPathComponent("Tests/Fixtures/tokenizer/clip-bpe"))
        return result
    }

    /// The folder whose vocab.json and merges.txt the tokenizer uses: the model folder's own, else the
    /// first bundled location that has both.
    public static func vocabularyDirectory(for directory: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let candidates = [directory] + vocabularyDirectories(environment: environment)
        for candidate in candidates where ["vocab.json", "merges.txt"].allSatisfy({
            FileManager.default.fileExists(atPath: candidate.appendingPathComponent($0).path)
        }) {
            return candidate
        }
        throw ModelError.fileMissing(path: "vocab.json and merges.txt (searched \(candidates.map(\.path).joined(separator: ", ")); set \(vocabularyEnvironmentVariable))")
    }

    /// OpenCLIP's tokenizer is CLIP's BPE with the configuration's context length.
    public static func tokenizer(directory: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CLIPTokenizer {
        let configuration = try OpenCLIPConfiguration.load(fileAt: directory.appendingPathComponent(OpenCLIPModel.configurationFileName))
        let folder = try vocabularyDirectory(for: directory, environment: environment)
        let tokenizer: CLIPTokenizer
        do {
            tokenizer = try CLIPTokenizer(
                vocabularyFile: folder.appendingPathComponent("vocab.json"), mergesFile: folder.appendingPathComponent("merges.txt"),
                contextLength: configuration.text.maximumPositions)
        } catch { throw ModelError.backend("\(error)") }
        guard tokenizer.vocabularySize <= configuration.text.vocabularySize else {
            throw ModelError.invalidConfiguration(
                path: directory.appendingPathComponent(OpenCLIPModel.configurationFileName).path, key: "text_cfg.vocab_size",
                reason: "\(configuration.text.vocabularySize) is smaller than the \(tokenizer.vocabularySize) tokens of \(folder.path)/vocab.json")
        }
        return tokenizer
    }

    /// open_clip's preprocessing (shortest side to image_size, bicubic, centre crop) with preprocess_cfg's mean/std.
    public static func preprocessor(directory: URL) throws -> CLIPImagePreprocessor {
        let configuration = try OpenCLIPConfiguration.load(fileAt: directory.appendingPathComponent(OpenCLIPModel.configurationFileName))
        var preprocessor = CLIPImagePreprocessor(
            shortestEdge: configuration.imageSize, cropHeight: configuration.imageSize, cropWidth: configuration.imageSize)
        preprocessor.mean = configuration.mean
        preprocessor.std = configuration.std
        preprocessor.cropOffsetRounding = .halfToEven
        return preprocessor
    }
}

extension ModelFamilyLoader {
    /// OpenCLIP layout: open_clip_config.json + open_clip_model.safetensors or open_clip_pytorch_model.bin.
    public static let openCLIP = ModelFamilyLoader(
        name: "open_clip",
        recognizes: { OpenCLIPFolder.recognizes($0) },
        loadModel: { try OpenCLIPModel.load(directory: $0) },
        loadTokenizer: { try OpenCLIPFolder.tokenizer(directory: $0) },
        loadPreprocessor: { try OpenCLIPFolder.preprocessor(directory: $0) })
}
