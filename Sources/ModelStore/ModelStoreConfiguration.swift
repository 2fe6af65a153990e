import Foundation

/// Where models are cached and which hub they come from, normally read from the environment.
public struct ModelStoreConfiguration: Sendable {
    public static let defaultEndpoint = "https://huggingface.co"

    /// The folder holding one sub-folder per model (`<owner>--<name>`).
    public var modelsDirectory: URL
    public var endpoint: URL
    public var token: String?
    public var offline: Bool
    /// Seconds without any bytes before a request fails.
    public var timeout: TimeInterval

    public init(modelsDirectory: URL, endpoint: URL, token: String? = nil, offline: Bool = false, timeout: TimeInterval = 60) {
        self.modelsDirectory = modelsDirectory
        self.endpoint = endpoint
        self.token = token
        self.offline = offline
        self.timeout = timeout
    }

    /// `CLIPSEARCH_CACHE` (replaces `${XDG_CACHE_HOME:-~/.cache}/clip-search`), `HF_ENDPOINT`, `HF_TOKEN`,
    /// `HF_HUB_OFFLINE`; `offline: true` forces offline mode whatever the environment says.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       offline: Bool = false) -> ModelStoreConfiguration {
        func value(_ key: String) -> String? {
            guard let text = environment[key]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        let cacheRoot: URL
        if let explicit = value("CLIPSEARCH_CACHE") {
            cacheRoot = URL(fileURLWithPath: explicit, isDirectory: true)
        } else {
            let xdg = value("XDG_CACHE_HOME").map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? URL(fileURLWithPath: value("HOME") ?? NSHomeDirectory(), isDirectory: true).appendingPathComponent(".cache")
            cacheRoot = xdg.appendingPathComponent("clip-search", isDirectory: true)
        }
        var endpointText = value("HF_ENDPOINT") ?? defaultEndpoint
        while endpointText.hasSuffix("/") { endpointText.removeLast() }
        let endpoint = URL(string: endpointText) ?? URL(string: defaultEndpoint)!
        let offlineFlag = value("HF_HUB_OFFLINE").map { ["1", "true", "yes", "on"].contains($0.lowercased()) } ?? false
        return ModelStoreConfiguration(
            modelsDirectory: cacheRoot.appendingPathComponent("models", isDirectory: true),
            endpoint: endpoint, token: value("HF_TOKEN"), offline: offline || offlineFlag)
    }

    /// `{endpoint}/{repo}/resolve/{revision}/{file}` with the revision escaped like the hub client does
    /// (`refs/pr/1` → `refs%2Fpr%2F1`).
    public func resolveURL(for identifier: ModelIdentifier, file: String) throws -> URL {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let revision = identifier.revision.addingPercentEncoding(withAllowedCharacters: allowed) ?? identifier.revision
        let fileComponent = file.addingPercentEncoding(withAllowedCharacters: allowed.union(CharacterSet(charactersIn: "/"))) ?? file
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        let text = "\(base)/\(identifier.repository)/resolve/\(revision)/\(fileComponent)"
        guard let url = URL(string: text) else { throw ModelStoreError.invalidResponse(url: text, reason: "not a valid URL (check HF_ENDPOINT)") }
        return url
    }
}
