import Foundation
import Hummingbird

/// Turns every thrown error into a JSON body `{"error": {"status", "code", "message"}}`.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Tells a wrong method on a known path (405) from an unknown path (404).
    let routes: RouteTable?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let mapped: ServerError
            switch error.status.code {
            case 404:
                if let allowed = routes?.allowedMethods(forPath: request.uri.path) {
                    let names = allowed.map(\.rawValue).joined(separator: ", ")
                    var response = JSONResponse.error(.badRequest("\(request.method.rawValue) is not allowed on \(request.uri.path); use \(names)"), status: 405)
                    response.headers[.allow] = names
                    return response
                }
                mapped = .notFound("\(request.uri.path)")
            case 413: mapped = .payloadTooLarge(limit: context.maxUploadSize)
            case 415: mapped = .unsupportedMediaType(error.body ?? "unsupported media type")
            case 400..<500: mapped = .badRequest(error.body ?? "bad request")
            default: mapped = .internalError(error.body ?? "internal error")
            }
            return JSONResponse.error(mapped, status: error.status.code == 405 ? 405 : nil)
        } catch {
            let mapped = ServerError.from(error)
            if mapped.status >= 500 { context.logger.error("\(request.method) \(request.uri.path): \(mapped)") }
            return JSONResponse.error(mapped)
        }
    }
}

/// Requires the bearer token on the API (header, or the cookie the page sets from `/?token=`).
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String
    static var cookieName: String { "clipsearch_token" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        // The page and its scripts hold no catalog data; the API behind them does.
        let isPublic = path == "/" || path == "/app.js" || path == "/app.css" || path == "/api/health"
        if isPublic {
            var response = try await next(request, context)
            if path == "/", let offered = request.uri.queryParameters.get("token"), Self.equal(offered, token) {
                response.headers[.setCookie] = "\(Self.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict"
            }
            return response
        }
        if let header = request.headers[.authorization], header.hasPrefix("Bearer "),
           Self.equal(String(header.dropFirst("Bearer ".count)), token) {
            return try await next(request, context)
        }
        if let cookies = request.headers[.cookie] {
            for cookie in cookies.split(separator: ";") {
                let pair = cookie.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == Self.cookieName, Self.equal(String(pair[1]), token) {
                    return try await next(request, context)
                }
            }
        }
        var response = JSONResponse.error(.unauthorized)
        response.headers[.wwwAuthenticate] = "Bearer"
        return response
    }

    /// Compares without an early exit, so timing does not reveal how much of a guess was right.
    static func equal(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        var difference = UInt8(left.count == right.count ? 0 : 1)
        for index in 0..<max(left.count, right.count) {
            difference |= (index < left.count ? left[index] : 0) ^ (index < right.count ? right[index] : 0)
        }
        return difference == 0
    }
}

/// Headers every response gets: the page runs only its own scripts.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        if response.headers[.contentType]?.hasPrefix("text/html") == true {
            response.headers[.contentSecurityPolicy] =
                "default-src 'self'; img-src 'self' blob: data:; media-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
        }
        return response
    }
}

enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func make<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func raw(_ text: String, contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func error(_ error: ServerError, status: Int? = nil) -> Response {
        struct Body: Encodable {
            struct Detail: Encodable { var status: Int; var code: String; var message: String }
            var error: Detail
        }
        let code = status ?? error.status
        let data = (try? encoder.encode(Body(error: .init(status: code, code: code == 405 ? "method_not_allowed" : error.code,
                                                           message: error.description)))) ?? Data("{}".utf8)
        return Response(status: HTTPResponse.Status(code: code), headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
