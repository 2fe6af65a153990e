import Foundation
import Hummingbird
import ImageCodecs

/// A request body read under the upload limit: a multipart form, a JSON object, or raw image bytes.
struct Upload: Sendable {
    struct Image: Sendable { var data: Data; var name: String }
    var form: MultipartForm?
    nonisolated(unsafe) var json: [String: Any]?
    var image: Image?

    static func read(_ request: Request, context: BasicRequestContext, limit: Int) async throws -> Upload {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw ServerError.payloadTooLarge(limit: limit)
        }
        // Counted chunk by chunk: a chunked body declares no length, and `collect(upTo:)` reports the
        // overflow as a NIO error that would otherwise surface as a 500.
        var buffer = ByteBuffer()
        for try await chunk in request.body {
            guard buffer.readableBytes + chunk.readableBytes <= limit else { throw ServerError.payloadTooLarge(limit: limit) }
            buffer.writeImmutableBuffer(chunk)
        }
        let data = Data(buffer.readableBytesView)
        let contentType = request.headers[.contentType] ?? ""
        let mime = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        var upload = Upload()
        if data.isEmpty { return upload }
        if mime == "multipart/form-data" {
            guard let boundary = MultipartForm.boundary(contentType: contentType) else {
                throw ServerError.badRequest("multipart/form-data without a boundary")
            }
            let form = try MultipartForm.parse(data, boundary: boundary)
            upload.form = form
            if let file = form.file("image") { upload.image = try checkedImage(file.data, name: file.filename ?? "upload") }
        } else if mime == "application/json" {
            upload.json = try jsonObject(data)
        } else if mime.hasPrefix("image/") || mime == "application/octet-stream" {
            upload.image = try checkedImage(data, name: "upload")
        } else {
            throw ServerError.unsupportedMediaType(
                "Content-Type '\(mime)' is not accepted: send multipart/form-data, application/json, or image bytes")
        }
        return upload
    }

    /// The body as a JSON object; a parse failure says where and why (truncated, lone surrogate escape, …).
    static func jsonObject(_ data: Data) throws -> [String: Any] {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
            throw ServerError.badRequest("the body is not valid JSON: \(detail)")
        }
        guard let object = parsed as? [String: Any] else {
            throw ServerError.badRequest("the JSON body must be an object such as {\"text\": \"…\"}, got \(parsed is [Any] ? "an array" : "a single value")")
        }
        return object
    }

    /// Refuses non-images before they reach a decoder (the decoder also enforces the pixel limit).
    static func checkedImage(_ data: Data, name: String) throws -> Image {
        guard ImageFormat.sniff(data) != nil else {
            throw ServerError.unsupportedMediaType("\(name) is not a JPEG, PNG, GIF, WebP, BMP or TIFF image")
        }
        return Image(data: data, name: name)
    }
}
