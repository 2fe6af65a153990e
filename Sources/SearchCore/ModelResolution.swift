import Catalog
import CLIPModels
import Foundation

// MARK: - Model resolution (extension point for the model store)

/// Turns a `--model` argument into a folder in the Hugging Face layout.
///
/// MODEL-STORE EXTENSION POINT: today only a local folder is accepted. The model store will add
/// hub ids here (e.g. `openai/clip-vit-base-patch32` → its cache snapshot folder), keeping this
/// signature; every command resolves models through this one function.
public func resolveModelDirectory(_ argument: String) throws -> URL {
    let url = URL(fileURLWithPath: (argument as NSString).expandingTildeInPath)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw SearchError.modelNotFound(argument: argument, reason: "not a local model folder (hub ids need the model store)")
    }
    for file in ["config.json", "model.safetensors"] where !FileManager.default.fileExists(atPath: url.appendingPathComponent(file).path) {
        throw SearchError.modelNotFound(argument: argument, reason: "folder has no \(file)")
    }
    return url.standardizedFileURL
}

/// The `--model` argument, else `CLIPSEARCH_MODEL`, else a clear error.
public func modelArgument(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
    if let option, !option.isEmpty { return option }
    if let variable = environment["CLIPSEARCH_MODEL"], !variable.isEmpty { return variable }
    throw SearchError.noModel
}

/// A loaded model with the identity the catalog records its vectors under.
public struct SearchModel: Sendable {
    public let embedder: CLIPEmbedder
    /// Content fingerprint, `sha256:<16 hex>`: the same weights under another folder name are the
    /// same model, other weights under the same name are not.
    public let identifier: String
    /// Human-readable name (the folder name) for messages.
    public let name: String

    public init(embedder: CLIPEmbedder, identifier: String, name: String) {
        self.embedder = embedder
        self.identifier = identifier
        self.name = name
    }

    /// Resolves `argument` (see `resolveModelDirectory`) and loads the model.
    public static func load(argument: String) throws -> SearchModel {
        let directory = try resolveModelDirectory(argument)
        let embedder = try CLIPEmbedder.load(directory: directory)
        return SearchModel(embedder: embedder, identifier: try fingerprint(directory: directory), name: directory.lastPathComponent)
    }

    /// Hashes config.json plus the weights file's size, first 64 KiB (safetensors header) and last
    /// MiB (tensor data): cheap for a 600 MB checkpoint, and different weights differ there.
    public static func fingerprint(directory: URL) throws -> String {
        var hasher = SHA256Hasher()
        let config = directory.appendingPathComponent("config.json")
        let weights = directory.appendingPathComponent("model.safetensors")
        do {
            hasher.update(try Data(contentsOf: config))
            let handle = try FileHandle(forReadingFrom: weights)
            defer { try? handle.close() }
            let size = try handle.seekToEnd()
            hasher.update(Data("\(size)".utf8))
            try handle.seek(toOffset: 0)
            hasher.update(try handle.read(upToCount: 1 << 16) ?? Data())
            try handle.seek(toOffset: size > 1 << 20 ? size - (1 << 20) : 0)
            hasher.update(try handle.read(upToCount: 1 << 20) ?? Data())
        } catch {
            throw SearchError.modelNotFound(argument: directory.path, reason: "cannot read weights for the fingerprint: \(error.localizedDescription)")
        }
        return "sha256:" + hasher.finalizeHex().prefix(16)
    }
}
