import Foundation

/// Every failure of the search core, one line with its context. Errors of lower modules
/// (CatalogError, ModelError, ImageCodecError, VectorIndexError) pass through unchanged.
public enum SearchError: Error, Sendable, CustomStringConvertible {
    case noModel
    case modelNotFound(argument: String, reason: String)
    case modelMismatch(requested: String, requestedName: String, available: [String])
    case emptyCatalog(path: String)
    case invalidQuery(String)
    case invalidOption(name: String, reason: String)
    case notAFolder(path: String)
    case imageFailed(path: String, reason: String)
    case labelsMissing(reason: String)

    public var description: String {
        switch self {
        case .noModel:
            return "no model given: pass --model <folder, hub id or demo>, set CLIPSEARCH_MODEL, or run 'clip-search models pull openai/clip-vit-base-patch32'"
        case .modelNotFound(let argument, let reason):
            return "model '\(argument)': \(reason)"
        case .modelMismatch(let requested, let name, let available):
            return "the catalog has no vectors of model \(name) (\(requested)); it was indexed with "
                + available.joined(separator: ", ") + ": search with that model (--model or CLIPSEARCH_MODEL) or re-index with this one"
        case .emptyCatalog(let path):
            return "\(path): the catalog holds no vectors yet; run `clip-search index <folder>` first"
        case .invalidQuery(let reason):
            return "invalid query: \(reason)"
        case .invalidOption(let name, let reason):
            return "invalid \(name): \(reason)"
        case .notAFolder(let path):
            return "\(path): not a folder or file that exists"
        case .imageFailed(let path, let reason):
            return "\(path): \(reason)"
        case .labelsMissing(let reason):
            return "labels: \(reason)"
        }
    }
}
