import Catalog
import Foundation
import ImageCodecs
import SearchCore

/// Every failure the server reports, with the HTTP status it maps to. Errors from lower modules are
/// classified by `ServerError.from(_:)` so a bad upload is a 4xx, never a 500.
public enum ServerError: Error, Sendable, CustomStringConvertible, Equatable {
    case badRequest(String)
    case notFound(String)
    case payloadTooLarge(limit: Int)
    /// A decompression bomb: small file, too many declared pixels.
    case imageTooLarge(String)
    case unsupportedMediaType(String)
    case rangeNotSatisfiable(size: Int64)
    case unauthorized
    case internalError(String)
    case invalidConfiguration(String)

    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .unauthorized: return 401
        case .notFound: return 404
        case .payloadTooLarge, .imageTooLarge: return 413
        case .unsupportedMediaType: return 415
        case .rangeNotSatisfiable: return 416
        case .internalError, .invalidConfiguration: return 500
        }
    }

    /// Short machine-readable code for the JSON error body.
    public var code: String {
        switch self {
        case .badRequest: return "bad_request"
        case .unauthorized: return "unauthorized"
        case .notFound: return "not_found"
        case .payloadTooLarge: return "payload_too_large"
        case .imageTooLarge: return "image_too_large"
        case .unsupportedMediaType: return "unsupported_media_type"
        case .rangeNotSatisfiable: return "range_not_satisfiable"
        case .internalError: return "internal_error"
        case .invalidConfiguration: return "invalid_configuration"
        }
    }

    public var description: String {
        switch self {
        case .badRequest(let reason): return reason
        case .notFound(let what): return "\(what) not found"
        case .payloadTooLarge(let limit): return "the request body exceeds the upload limit of \(limit) bytes"
        case .unsupportedMediaType(let reason), .imageTooLarge(let reason): return reason
        case .rangeNotSatisfiable(let size): return "the requested range is outside the file (\(size) bytes)"
        case .unauthorized: return "a bearer token is required: send 'Authorization: Bearer <token>'"
        case .internalError(let reason): return reason
        case .invalidConfiguration(let reason): return "server configuration: \(reason)"
        }
    }

    /// Maps errors of the search stack to client or server errors.
    public static func from(_ error: Error) -> ServerError {
        if let error = error as? ServerError { return error }
        if let error = error as? ImageCodecError {
            switch error {
            case .unsupportedFormat: return .unsupportedMediaType("\(error)")
            case .tooLarge: return .imageTooLarge("\(error)")
            default: return .badRequest("\(error)")
            }
        }
        if let error = error as? SearchError {
            switch error {
            case .invalidQuery, .invalidOption, .labelsMissing: return .badRequest("\(error)")
            case .imageFailed(_, let reason):
                if reason.contains("not JPEG, PNG") { return .unsupportedMediaType("\(error)") }
                if reason.contains("image too large") { return .imageTooLarge("\(error)") }
                return .badRequest("\(error)")
            default: return .internalError("\(error)")
            }
        }
        return .internalError("\(error)")
    }
}
