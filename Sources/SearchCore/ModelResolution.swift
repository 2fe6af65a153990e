import Catalog
import CLIPModels
import Foundation
import ModelStore

// MARK: - Model resolution

/// Turns a `--model` argument into a folder in the Hugging Face layout: a local folder as it is, a hub
/// id (`owner/name[@revision]`) through the model store's cache, downloading it when it is missing
/// (not with `--offline` or `HF_HUB_OFFLINE=1`). Every command resolves models through this function.
public func resolveModelDirectory(_ argument: String, offline: Bool = false) throws -> URL {
    do {
        return try ModelResolver.resolve((argument as NSString).expandingTildeInPath, offline: offline)
    } catch let error as ModelStoreError {
        throw SearchError.modelNotFound(argument: argument, reason: "\(error)")
    }
}

/// The `--model` argument, else `CLIPSEARCH_MODEL`, else the default model
/// (`openai/clip-vit-base-patch32`) when it is in the cache, else a clear error.
public func modelArgument(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
    if let option, !option.isEmpty { return option }
    if let variable = environment["CLIPSEARCH_MODEL"], !variable.isEmpty { return variable }
    if let identifier = try? ModelIdentifier(parsing: ModelResolver.defaultModel),
       ModelCache(configuration: .fromEnvironment(environment), progress: SilentProgressReporter()).cachedModel(identifier).isComplete {
        return ModelResolver.defaultModel
    }
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
    public static func load(argument: String, offline: Bool = false) throws -> SearchModel {
        let directory = try resolveModelDirectory(argument, offline: offline)
        let embedder = try CLIPEmbedder.load(directory: directory)
        return SearchModel(embedder: embedder, identifier: try fingerprint(directory: directory), name: directory.lastPathComponent)
    }

    /// Hashes every file's name and size, small files whole and large ones (weights) by their first
    /// 64 KiB (safetensors header) and last MiB (tensor data): cheap for a 600 MB checkpoint, yet
    /// other weights differ there. Works for every checkpoint family's file layout.
    public static func fingerprint(directory: URL) throws -> String {
        var hasher = SHA256()
        do {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.sorted()
            for name in names {
                let url = directory.appendingPathComponent(name)
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
                      attributes[.type] as? FileAttributeType == .typeRegular else { continue }
                let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
                hasher.update(Data("\(name)\u{0}\(size)\u{0}".utf8))
                let handle = try FileHandle(forReadingFrom: url)
                defer { try? handle.close() }
                if size <= 2 << 20 {
                    hasher.update(try handle.readToEnd() ?? Data())
                } else {
                    hasher.update(try handle.read(upToCount: 1 << 16) ?? Data())
                    try handle.seek(toOffset: size - (1 << 20))
                    hasher.update(try handle.read(upToCount: 1 << 20) ?? Data())
                }
            }
        } catch {
            throw SearchError.modelNotFound(argument: directory.path, reason: "cannot read the model files: \(error.localizedDescription)")
        }
        return "sha256:" + hasher.hexDigest().prefix(16)
    }
}
