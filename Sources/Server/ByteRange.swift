import Foundation

/// A single `Range: bytes=…` request (multi-range requests are answered with the whole file).
public struct ByteRange: Sendable, Equatable {
    public var start: Int64
    /// Inclusive.
    public var end: Int64

    public var length: Int64 { end - start + 1 }

    /// nil when there is no usable range header; throws for a range outside the file.
    public static func parse(_ header: String?, size: Int64) throws -> ByteRange? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), header.lowercased().hasPrefix("bytes=") else { return nil }
        let spec = header.dropFirst("bytes=".count)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        if first.isEmpty {
            guard let suffix = Int64(last), suffix >= 0 else { return nil }
            // "The last 0 bytes" selects nothing: unsatisfiable (RFC 9110, 14.1.2), not the whole file.
            guard suffix > 0, size > 0 else { throw ServerError.rangeNotSatisfiable(size: size) }
            return ByteRange(start: max(0, size - suffix), end: size - 1)
        }
        guard let start = Int64(first), start >= 0 else { return nil }
        guard start < size else { throw ServerError.rangeNotSatisfiable(size: size) }
        if last.isEmpty { return ByteRange(start: start, end: size - 1) }
        guard let end = Int64(last), end >= start else { return nil }
        return ByteRange(start: start, end: min(end, size - 1))
    }
}

enum MediaContentType {
    static func forPath(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "jpg", "jpeg": return "image/jpeg"
        case "png": return "image/png"
        case "gif": return "image/gif"
        case "webp": return "image/webp"
        case "bmp": return "image/bmp"
        case "tif", "tiff": return "image/tiff"
        case "heic", "heif": return "image/heif"
        case "avif": return "image/avif"
        case "mp4", "m4v": return "video/mp4"
        case "mov": return "video/quicktime"
        case "webm": return "video/webm"
        case "mkv": return "video/x-matroska"
        case "avi": return "video/x-msvideo"
        default: return "application/octet-stream"
        }
    }
}
