import Foundation

/// Turns a `--model` argument into a folder the engine can load.
public enum ModelResolver {
    public static let defaultModel = "openai/clip-vit-base-patch32"

    /// A local directory holding config.json is used as it is; otherwise the argument is a hub id
    /// (`owner/name[@revision]`) whose cached folder is returned, downloaded first when missing and not
    /// offline. `offline` adds to `HF_HUB_OFFLINE`; the cache location and hub come from the environment.
    public static func resolve(_ argument: String, offline: Bool) throws -> URL {
        try resolve(argument, store: ModelCache(configuration: .fromEnvironment(offline: offline)))
    }

    public static func resolve(_ argument: String, store: ModelCache) throws -> URL {
        let expanded = argument.hasPrefix("~/") ? NSHomeDirectory() + argument.dropFirst(1) : argument
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory) {
            let url = URL(fileURLWithPath: expanded, isDirectory: isDirectory.boolValue).standardizedFileURL
            // config.json: the Hugging Face layouts (CLIP, Chinese-CLIP); open_clip_config.json: OpenCLIP's.
            guard isDirectory.boolValue, ["config.json", "open_clip_config.json"].contains(where: {
                FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path)
            }) else {
                throw ModelStoreError.localDirectoryWithoutConfig(path: url.path)
            }
            return url
        }
        if expanded.hasPrefix("/") || expanded.hasPrefix(".") || argument.hasPrefix("~") {
            throw ModelStoreError.fileSystem(path: expanded, reason: "model folder not found")
        }
        return try store.ensureAvailable(try ModelIdentifier(parsing: argument))
    }
}
