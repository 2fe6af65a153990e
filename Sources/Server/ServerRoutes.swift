import Catalog
import Dispatch
import Foundation
import Hummingbird

/// The REST API and the page. `ServerRoutes.router` is what both `clip-search serve` and the
/// in-process tests run.
public enum ServerRoutes {
    public static func router(service: SearchService) -> Router<BasicRequestContext> {
        let options = service.options
        // HEAD answers what GET would, without the body.
        let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
        let routes = RouteTable(router: router)
        // Outermost, so error responses (401, 404, 405, 413, …) carry the headers too.
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: JSONErrorMiddleware(routes: routes))
        if let origin = options.corsOrigin {
            router.add(middleware: CORSMiddleware(allowOrigin: .custom(origin), allowHeaders: [.authorization, .contentType, .range]))
        }
        if let token = options.token, !token.isEmpty { router.add(middleware: BearerTokenMiddleware(token: token)) }
        let thumbnails = ThumbnailCache(directory: options.thumbnailDirectory, side: options.thumbnailSide)

        routes.add(.get, "/") { _, _ in JSONResponse.raw(WebAssets.page, contentType: "text/html; charset=utf-8") }
        routes.add(.get, "/app.js") { _, _ in JSONResponse.raw(WebAssets.script, contentType: "text/javascript; charset=utf-8") }
        routes.add(.get, "/app.css") { _, _ in JSONResponse.raw(WebAssets.style, contentType: "text/css; charset=utf-8") }
        routes.add(.get, "/openapi.json") { _, _ in JSONResponse.raw(OpenAPIDocument.json, contentType: "application/json; charset=utf-8") }

        routes.add(.get, "/api/health") { _, _ in
            struct Health: Encodable { var status: String; var model: String; var vectors: Int }
            let stats = try await offload { try service.statistics() }
            return try JSONResponse.make(Health(status: "ok", model: stats.model, vectors: stats.vectors))
        }
        routes.add(.get, "/api/stats") { _, _ in try JSONResponse.make(try await offload { try service.statistics() }) }

        routes.add(.get, "/api/search") { request, _ in
            let search = try searchRequest(request, form: nil)
            return try JSONResponse.make(try await offload { try service.search(search) })
        }
        routes.add(.post, "/api/search") { request, context in
            let upload = try await Upload.read(request, context: context, limit: options.maxUploadBytes)
            var search = try searchRequest(request, form: upload.form)
            search.imageData = upload.image?.data
            search.imageName = upload.image?.name ?? "upload"
            let prepared = search
            return try JSONResponse.make(try await offload { try service.search(prepared) })
        }
        routes.add(.get, "/api/similar/:id") { request, context in
            let id = try mediaID(context)
            let search = try searchRequest(request, form: nil)
            let time = try number(request.uri.queryParameters.get("t"), name: "t").map(Double.init)
            return try JSONResponse.make(try await offload { try service.similar(mediaID: id, time: time, request: search) })
        }
        routes.add(.post, "/api/classify") { request, context in
            let upload = try await Upload.read(request, context: context, limit: options.maxUploadBytes)
            let labelsText = upload.form?.text("labels") ?? upload.json?["labels"].flatMap(Self.labelsText)
                ?? request.uri.queryParameters.get("labels")
            guard let labelsText else { throw ServerError.badRequest("give labels: comma- or newline-separated (labels=cat,dog)") }
            let labels = labelsText.split(whereSeparator: { $0 == "," || $0.isNewline })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let media = upload.form?.text("media_id") ?? request.uri.queryParameters.get("media_id")
                ?? upload.json?["media_id"].map(Self.jsonIdentifierText)
            if let media, (Int64(media) ?? 0) < 1 { throw ServerError.badRequest("media_id must be a positive integer, got '\(media)'") }
            struct Answer: Encodable { var labels: [LabelProbability] }
            let answer = try await offload { () -> Answer in
                let vector: [Float]
                if let image = upload.image {
                    vector = try service.embed(imageData: image.data, name: image.name)
                } else if let media, let id = Int64(media) {
                    vector = try service.vector(mediaID: id)
                } else {
                    throw ServerError.badRequest("give an image (multipart field 'image' or an image body) or media_id")
                }
                return Answer(labels: try service.classify(vector: vector, labels: labels))
            }
            return try JSONResponse.make(answer)
        }
        routes.add(.post, "/api/embed") { request, context in
            let upload = try await Upload.read(request, context: context, limit: options.maxUploadBytes)
            var texts: [String] = []
            if let json = upload.json {
                if let text = json["text"] as? String { texts.append(text) }
                if let list = json["texts"] as? [Any] {
                    for item in list {
                        guard let text = item as? String else { throw ServerError.badRequest("texts must be strings") }
                        texts.append(text)
                    }
                }
            }
            if let text = upload.form?.text("text") { texts.append(text) }
            guard texts.count <= 64, texts.allSatisfy({ !$0.isEmpty && $0.count <= 1000 }) else {
                throw ServerError.badRequest("give 1…64 non-empty texts of at most 1000 characters")
            }
            let requested = texts
            let answer = try await offload { () -> EmbedResponse in
                var vectors = try requested.isEmpty ? [] : service.embed(texts: requested)
                if let image = upload.image { vectors.append(try service.embed(imageData: image.data, name: image.name)) }
                guard !vectors.isEmpty else {
                    throw ServerError.badRequest("give {\"text\": …} or {\"texts\": […]} as JSON, or an image")
                }
                return EmbedResponse(model: service.model.identifier, dimension: service.model.embedder.dimension, vectors: vectors)
            }
            return try JSONResponse.make(answer)
        }
        routes.add(.get, "/api/media/:id") { _, context in
            let id = try mediaID(context)
            let record = try await offload { try service.servableMedia(id: id) }
            return try JSONResponse.make(MediaInfo(
                id: id, path: record.path, type: record.mediaType.rawValue, size: record.size, width: record.width,
                height: record.height, duration: record.duration, codec: record.codec,
                thumbnailUrl: "/api/media/\(id)/thumbnail", mediaUrl: "/api/media/\(id)/original"))
        }
        routes.add(.get, "/api/media/:id/thumbnail") { request, context in
            let id = try mediaID(context)
            let time = try number(request.uri.queryParameters.get("t"), name: "t")
            let (url, type) = try await offload { () -> (URL, String) in
                let record = try service.servableMedia(id: id)
                _ = try MediaFileResponder.open(record).descriptor.closing()
                return try thumbnails.thumbnail(for: record, time: time.map(Double.init))
            }
            return try MediaFileResponder.smallFile(url, contentType: type)
        }
        routes.add(.get, "/api/media/:id/original") { request, context in
            let id = try mediaID(context)
            let record = try await offload { try service.servableMedia(id: id) }
            return try MediaFileResponder.response(for: record, rangeHeader: request.headers[.range])
        }
        return router
    }

    static func labelsText(_ value: Any) -> String? {
        if let text = value as? String { return text }
        if let list = value as? [Any] { return list.compactMap { $0 as? String }.joined(separator: ",") }
        return nil
    }

    static func mediaID(_ context: BasicRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw ServerError.badRequest("a media id is a positive integer, got '\(context.parameters.get("id") ?? "")'")
        }
        return id
    }

    static func number(_ text: String?, name: String) throws -> Float? {
        guard let text, !text.isEmpty else { return nil }
        guard let value = Float(text), value.isFinite else { throw ServerError.badRequest("\(name) must be a number, got '\(text)'") }
        return value
    }

    /// A JSON id as text, exactly: 1.7, 1e30 and true stay visibly non-integers instead of being
    /// truncated or read as 1 (JSON booleans arrive as NSNumber, type "c").
    static func jsonIdentifierText(_ value: Any) -> String {
        guard let number = value as? NSNumber else { return "\(value)" }
        if String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
        let double = number.doubleValue
        guard double == double.rounded(), abs(double) < 9.0e15 else { return "\(double)" }
        return "\(Int64(double))"
    }

    static func integer(_ text: String?, name: String) throws -> Int? {
        guard let text, !text.isEmpty else { return nil }
        guard let value = Int(text) else { throw ServerError.badRequest("\(name) must be an integer, got '\(text)'") }
        return value
    }

    /// Search parameters from the query string, overridden by multipart fields of the same names.
    static func searchRequest(_ http: Request, form: MultipartForm?) throws -> SearchRequest {
        func value(_ name: String) -> String? { form?.text(name) ?? http.uri.queryParameters.get(name) }
        var request = SearchRequest()
        request.text = value("q")
        request.negativeText = value("not")
        request.mediaType = value("type").flatMap { $0.isEmpty || $0 == "all" ? nil : $0 }
        request.folder = value("folder")
        request.limit = try integer(value("limit"), name: "limit") ?? request.limit
        request.offset = try integer(value("offset"), name: "offset") ?? 0
        request.threshold = try number(value("threshold"), name: "threshold")
        request.textWeight = try number(value("text_weight"), name: "text_weight") ?? 1
        request.imageWeight = try number(value("image_weight"), name: "image_weight") ?? 1
        if let like = value("like"), !like.isEmpty {
            guard let id = Int64(like), id > 0 else { throw ServerError.badRequest("like must be a media id, got '\(like)'") }
            request.likeMediaID = id
        }
        return request
    }
}

extension Int32 {
    /// Closes a descriptor opened only to check that a file is servable.
    func closing() -> Int32 { close(self) }
}

/// Runs blocking work (model, BLAS, SQLite, file decoding) off the event loop.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try body() }) }
    }
}
