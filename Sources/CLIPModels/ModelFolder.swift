import Foundation
import Tokenizers

/// Pieces of a model folder that can be loaded without the weights.
public enum ModelFolder {
    /// The tokenizer, with its context length capped by config.json's text positions when present.
    public static func tokenizer(directory: URL) throws -> CLIPTokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelError.fileMissing(path: directory.path)
        }
        let tokenizer: CLIPTokenizer
        do { tokenizer = try CLIPTokenizer(directory: directory) } catch { throw ModelError.backend("\(error)") }
        let configURL = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else { return tokenizer }
        let configuration = try CLIPConfiguration.load(fileAt: configURL)
        let limit = configuration.text.maximumPositions
        guard limit < tokenizer.contextLength else { return tokenizer }
        do {
            return try CLIPTokenizer(
                vocabularyFile: directory.appendingPathComponent("vocab.json"),
                mergesFile: directory.appendingPathComponent("merges.txt"), contextLength: limit)
        } catch { throw ModelError.backend("\(error)") }
    }
}
