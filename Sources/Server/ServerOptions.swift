import Foundation

/// How `clip-search serve` runs. The defaults are the safe ones: loopback only, no CORS, 20 MB uploads.
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Required whenever `host` is not a loopback address.
    public var token: String?
    /// Exact origin allowed by CORS; nil sends no CORS headers at all.
    public var corsOrigin: String?
    public var maxUploadBytes = 20 << 20
    /// Decoded-pixel ceiling for uploads (decompression-bomb guard); 40 MP by default.
    public var maxUploadPixels = 40_000_000
    /// Where thumbnails are cached (created on demand).
    public var thumbnailDirectory: URL
    public var thumbnailSide = 320
    /// Largest page size a client may ask for.
    public var maxResults = 200

    public init(thumbnailDirectory: URL = ServerOptions.defaultThumbnailDirectory()) {
        self.thumbnailDirectory = thumbnailDirectory
    }

    /// `$XDG_CACHE_HOME/clip-search/thumbnails`, or `~/.cache/clip-search/thumbnails`.
    public static func defaultThumbnailDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base: URL
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            base = URL(fileURLWithPath: cache)
        } else {
            base = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".cache")
        }
        return base.appendingPathComponent("clip-search/thumbnails")
    }

    public static func isLoopback(_ host: String) -> Bool {
        let trimmed = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return trimmed == "localhost" || trimmed == "::1" || trimmed.hasPrefix("127.")
    }

    /// Refuses configurations that would expose the catalog without a token.
    public func validate() throws {
        guard (1...65535).contains(port) || port == 0 else { throw ServerError.invalidConfiguration("port \(port) is outside 1…65535") }
        if let token, token.count < 8 { throw ServerError.invalidConfiguration("the token must have at least 8 characters") }
        if !Self.isLoopback(host) && (token ?? "").isEmpty {
            throw ServerError.invalidConfiguration(
                "binding to \(host) (not a loopback address) needs a bearer token: pass --token or set CLIPSEARCH_TOKEN")
        }
        if let corsOrigin, !(corsOrigin.hasPrefix("http://") || corsOrigin.hasPrefix("https://")) {
            throw ServerError.invalidConfiguration("--cors-origin must be an origin like https://example.org, got '\(corsOrigin)'")
        }
        guard maxUploadBytes >= 1024 else { throw ServerError.invalidConfiguration("the upload limit must be at least 1024 bytes") }
    }
}
