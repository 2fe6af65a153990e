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
/// (`openai/clip-vit-base-patch32`) when it is in the cache, else the bundled demo model (see
/// `bundledDemoModel`), else a clear error. `demo` or `clipsearch-demo` names the demo model explicitly
/// (unless a folder of that name exists in the working directory). `executableDirectory` is where the
/// search for the demo model starts; nil searches only `CLIPSEARCH_DEMO_MODEL`.
public func modelArgument(
    _ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
    executableDirectory: URL? = currentExecutableDirectory()
) throws -> String {
    func demo() throws -> String {
        guard let folder = bundledDemoModel(environment: environment, executableDirectory: executableDirectory) else {
            throw SearchError.modelNotFound(
                argument: "demo", reason: "the bundled demo model was not found: set CLIPSEARCH_DEMO_MODEL to its folder, "
                    + "or keep models/clipsearch-demo next to the clip-search executable or in <prefix>/share/clipsearch/models")
        }
        return folder.path
    }
    for named in [option, environment["CLIPSEARCH_MODEL"]] {
        guard let named, !named.isEmpty else { continue }
        if demoModelNames.contains(named), !FileManager.default.fileExists(atPath: named) { return try demo() }
        return named
    }
    if let identifier = try? ModelIdentifier(parsing: ModelResolver.defaultModel),
       ModelCache(configuration: .fromEnvironment(environment), progress: SilentProgressReporter()).cachedModel(identifier).isComplete {
        return ModelResolver.defaultModel
    }
    if let folder = bundledDemoModel(environment: environment, executableDirectory: executableDirectory) {
        // stdout carries results only; the note goes to stderr.
        FileHandle.standardError.write(Data("note: \(ModelResolver.defaultModel) is not cached; using the bundled demo model \(folder.path)\n".utf8))
        return folder.path
    }
    throw SearchError.noModel
}

/// Names that stand for the bundled demo model.
public let demoModelNames: Set<String> = ["demo", "clipsearch-demo"]

/// The small model ClipSearch trained itself (scripts/demo-model), found at `CLIPSEARCH_DEMO_MODEL`, then in a
/// `models/clipsearch-demo` folder in the executable's folder or any folder above it (the release binary
/// lives in `.build/release/` inside the repository), then in `<prefix>/share/clipsearch/models/clipsearch-demo`
/// for an executable installed in `<prefix>/bin`.
public func bundledDemoModel(environment: [String: String], executableDirectory: URL?) -> URL? {
    func isModel(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path)
    }
    if let variable = environment["CLIPSEARCH_DEMO_MODEL"], !variable.isEmpty {
        let folder = URL(fileURLWithPath: (variable as NSString).expandingTildeInPath)
        if isModel(folder) { return folder.standardizedFileURL }
    }
    guard let executableDirectory else { return nil }
    var folder = executableDirectory.standardizedFileURL
    while true {
        let candidate = folder.appendingPathComponent("models/clipsearch-demo")
        if isModel(candidate) { return candidate }
        let installed = folder.appendingPathComponent("share/clipsearch/models/clipsearch-demo")
        if isModel(installed) { return installed }
        let parent = folder.deletingLastPathComponent()
        if parent.path == folder.path { return nil }
        folder = parent
    }
}

/// The running executable's folder, symbolic links resolved (an installed link points into the repository).
public func currentExecutableDirectory() -> URL? {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    if executable.path != "/proc/self/exe" { return executable.deletingLastPathComponent() }
    return Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent()
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
