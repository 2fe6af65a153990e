import Foundation

/// Everything that can go wrong resolving, downloading or caching a model, one line each, with the
/// URL, status, file or hashes that a user needs to act on it.
public enum ModelStoreError: Error, CustomStringConvertible, Equatable, Sendable {
    case invalidModelIdentifier(String)
    case localDirectoryWithoutConfig(path: String)
    case authenticationRequired(url: String, status: Int, tokenSent: Bool)
    case requiredFileMissing(repository: String, file: String, url: String)
    case httpStatus(url: String, status: Int, file: String)
    case network(url: String, reason: String)
    case invalidResponse(url: String, reason: String)
    case hashMismatch(file: String, expected: String, actual: String)
    case sizeMismatch(file: String, expected: Int64, actual: Int64)
    case notCached(repository: String, directory: String, missingFiles: [String])
    case fileSystem(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidModelIdentifier(let value):
            return "'\(value)' is neither a model folder holding config.json nor a hub id of the form owner/name[@revision]"
        case .localDirectoryWithoutConfig(let path):
            return "\(path): model folder has neither config.json (Hugging Face layout) nor open_clip_config.json (OpenCLIP)"
        case .authenticationRequired(let url, let status, let tokenSent):
            let hint = tokenSent ? "the token in HF_TOKEN was refused or lacks access to this repository"
                                 : "set HF_TOKEN to a token with access to this repository"
            return "\(url): HTTP \(status): authentication required (\(hint))"
        case .requiredFileMissing(let repository, let file, let url):
            return "\(repository): required file \(file) not found on the hub (HTTP 404 at \(url)); the engine needs safetensors weights and the CLIP tokenizer files"
        case .httpStatus(let url, let status, let file):
            return "\(url): unexpected HTTP \(status) while fetching \(file)"
        case .network(let url, let reason):
            return "\(url): network error: \(reason)"
        case .invalidResponse(let url, let reason):
            return "\(url): invalid response: \(reason)"
        case .hashMismatch(let file, let expected, let actual):
            return "\(file): SHA-256 mismatch: the hub announced \(expected) but the downloaded bytes hash to \(actual); the partial file was deleted"
        case .sizeMismatch(let file, let expected, let actual):
            return "\(file): size mismatch: expected \(expected) bytes, got \(actual); the partial file was deleted"
        case .notCached(let repository, let directory, let missingFiles):
            return "\(repository): not in the cache at \(directory) (missing: \(missingFiles.joined(separator: ", "))) and offline mode is on (--offline or HF_HUB_OFFLINE=1); run `clip-search models pull \(repository)` while online"
        case .fileSystem(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
