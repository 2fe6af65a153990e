import Foundation

/// Every failure of this module; each message is one line naming the file and the reason.
public enum ImageCodecError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty(name: String)
    case unreadable(name: String, reason: String)
    case unsupportedFormat(name: String, reason: String)
    case corrupt(name: String, reason: String)
    case tooLarge(name: String, width: Int, height: Int, maxPixels: Int)
    case invalidConfiguration(name: String, reason: String)

    public var description: String {
        switch self {
        case .empty(let name):
            return "\(name): empty file"
        case .unreadable(let name, let reason):
            return "\(name): cannot read file: \(reason)"
        case .unsupportedFormat(let name, let reason):
            return "\(name): unsupported image format: \(reason)"
        case .corrupt(let name, let reason):
            return "\(name): corrupt or truncated image: \(reason)"
        case .tooLarge(let name, let width, let height, let maxPixels):
            let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
            let count = overflow ? "more than \(Int.max)" : "\(pixels)"
            return "\(name): image too large: declares \(width)x\(height) = \(count) pixels, limit is \(maxPixels)"
        case .invalidConfiguration(let name, let reason):
            return "\(name): invalid preprocessing configuration: \(reason)"
        }
    }
}
