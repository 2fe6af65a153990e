import Foundation

/// Every failure of the catalog module; each message is one line naming the catalog file.
public enum CatalogError: Error, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case newerSchema(path: String, unknownMigrations: [String])
    case database(path: String, operation: String, reason: String)
    case corruptVector(path: String, mediaID: Int64, expectedBytes: Int, foundBytes: Int)
    case dimensionMismatch(path: String, model: String, expected: Int, found: Int)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "\(path): cannot open catalog: \(reason)"
        case .newerSchema(let path, let unknown):
            return "\(path): catalog was written by a newer clip-search (unknown schema versions \(unknown.joined(separator: ", ")))"
        case .database(let path, let operation, let reason):
            return "\(path): catalog \(operation) failed: \(reason)"
        case .corruptVector(let path, let mediaID, let expected, let found):
            return "\(path): embedding of media \(mediaID) has \(found) bytes, expected \(expected)"
        case .dimensionMismatch(let path, let model, let expected, let found):
            return "\(path): model \(model) is recorded with dimension \(expected), got a vector of \(found)"
        }
    }
}
