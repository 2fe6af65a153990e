import Catalog
import Foundation
import Hummingbird
import HummingbirdTesting
import SearchCore
import XCTest
@testable import Server

final class ServerSafetyTests: XCTestCase {
    func testMediaInfoThumbnailIsCachedAndOriginalHonoursRanges() async throws {
        let fixture = try ServerTestFixture.shared()
        let service = try fixture.service()
        let id = try fixture.mediaID("space/hubble-tiny.jpg")
        let original = try Data(contentsOf: URL(fileURLWithPath: ServerTestFixture.path("space/hubble-tiny.jpg")))
        try await withServer(service) { client in
            let info = try decodeJSON(try await client.execute(uri: "/api/media/\(id)", method: .get).body)
            XCTAssertEqual(info["path"] as? String, ServerTestFixture.path("space/hubble-tiny.jpg"))
            let thumbnail = try await client.execute(uri: "/api/media/\(id)/thumbnail", method: .get)
            XCTAssertEqual(thumbnail.status, .ok)
            XCTAssertEqual(thumbnail.headers[.contentType], "image/png")
            let png = Data(thumbnail.body.readableBytesView)
            // Our PNG must decode with the project's decoder (libpng), at most the thumbnail side.
            let decoded = try ImageDecoderProbe.decode(png)
            XCTAssertLessThanOrEqual(max(decoded.width, decoded.height), service.options.thumbnailSide)
            let cached = try FileManager.default.contentsOfDirectory(atPath: service.options.thumbnailDirectory.path)
            XCTAssertEqual(cached.count, 1)
            let modified = try FileManager.default.attributesOfItem(
                atPath: service.options.thumbnailDirectory.appendingPathComponent(cached[0]).path)[.modificationDate] as? Date
            let again = try await client.execute(uri: "/api/media/\(id)/thumbnail", method: .get)
            XCTAssertEqual(Data(again.body.readableBytesView), png)
            XCTAssertEqual(try FileManager.default.attributesOfItem(
                atPath: service.options.thumbnailDirectory.appendingPathComponent(cached[0]).path)[.modificationDate] as? Date, modified)

            let whole = try await client.execute(uri: "/api/media/\(id)/original", method: .get)
            XCTAssertEqual(whole.status, .ok)
            XCTAssertEqual(Data(whole.body.readableBytesView), original)
            XCTAssertEqual(whole.headers[.acceptRanges], "bytes")
            let partial = try await client.execute(uri: "/api/media/\(id)/original", method: .get, headers: [.range: "bytes=10-109"])
            XCTAssertEqual(partial.status, .partialContent)
            XCTAssertEqual(partial.headers[.contentRange], "bytes 10-109/\(original.count)")
            XCTAssertEqual(Data(partial.body.readableBytesView), original[10..<110])
            let suffix = try await client.execute(uri: "/api/media/\(id)/original", method: .get, headers: [.range: "bytes=-20"])
            XCTAssertEqual(Data(suffix.body.readableBytesView), original.suffix(20))
            let outside = try await client.execute(uri: "/api/media/\(id)/original", method: .get, headers: [.range: "bytes=\(original.count + 5)-"])
            XCTAssertEqual(outside.status.code, 416)
            let empty = try await client.execute(uri: "/api/media/\(id)/original", method: .get, headers: [.range: "bytes=-0"])
            XCTAssertEqual(empty.status.code, 416, "the last zero bytes select nothing")
            let status1 = try await client.execute(uri: "/api/media/424242/original", method: .get).status
            XCTAssertEqual(status1, .notFound)
            let status2 = try await client.execute(uri: "/api/media/0/thumbnail", method: .get).status
            XCTAssertEqual(status2, .badRequest)
        }
    }

    func testPathTraversalAndSymlinkEscapeAreRefused() async throws {
        let fixture = try ServerTestFixture.shared()
        let service = try fixture.service()
        // A catalog row whose file was replaced by a symlink to a secret after indexing.
        let secret = fixture.folder.appendingPathComponent("secret.txt")
        try Data("top secret".utf8).write(to: secret)
        let link = fixture.folder.appendingPathComponent("link-\(UUID().uuidString).jpg")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: secret)
        let linkID = try fixture.catalog.write { writer in
            try writer.upsertMedia(MediaRecord(path: link.path, size: 10, modificationTime: 0, contentHash: "linkhash" + UUID().uuidString))
        }
        try await withServer(service) { client in
            for uri in ["/api/media/../../../../etc/passwd", "/api/media/..%2F..%2Fetc%2Fpasswd/original",
                        "/api/media/%2Fetc%2Fpasswd/original", "/api/media/1%2F..%2F..%2Fetc%2Fpasswd/original",
                        "/../../etc/passwd", "/app.js/../../../etc/passwd", "/api/media/\(linkID)/original", "/api/media/\(linkID)/thumbnail"] {
                let response = try await client.execute(uri: uri, method: .get)
                XCTAssertTrue([400, 404].contains(response.status.code), "\(uri) → \(response.status)")
                let text = String(buffer: response.body)
                XCTAssertFalse(text.contains("root:") || text.contains("top secret"), uri)
            }
        }
    }

    func testOversizedUploadBombAndUnsupportedTypes() async throws {
        let fixture = try ServerTestFixture.shared()
        let service = try fixture.service { $0.maxUploadBytes = 64 * 1024 }
        let photo = try Data(contentsOf: URL(fileURLWithPath: ServerTestFixture.path("space/hubble-tiny.jpg")))
        let bomb = try Data(contentsOf: URL(fileURLWithPath: ServerTestFixture.path("bad/bomb.png")))
        XCTAssertLessThan(bomb.count, 64 * 1024)
        try await withServer(service) { client in
            let big = ByteBuffer(bytes: photo + Data(repeating: 0, count: 70 * 1024))
            let tooLarge = try await client.execute(uri: "/api/search", method: .post, headers: [.contentType: "image/jpeg"], body: big)
            XCTAssertEqual(tooLarge.status.code, 413)
            XCTAssertEqual((try decodeJSON(tooLarge.body)["error"] as? [String: Any])?["code"] as? String, "payload_too_large")
            let bombed = try await client.execute(uri: "/api/search", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: bomb))
            XCTAssertEqual(bombed.status.code, 413)
            XCTAssertEqual((try decodeJSON(bombed.body)["error"] as? [String: Any])?["code"] as? String, "image_too_large")
            let text = try await client.execute(uri: "/api/search", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: "hello"))
            XCTAssertEqual(text.status.code, 415)
            let notImage = try await client.execute(uri: "/api/search", method: .post, headers: [.contentType: "image/jpeg"],
                                                    body: ByteBuffer(string: "this is not a jpeg at all"))
            XCTAssertEqual(notImage.status.code, 415)
            let truncated = try await client.execute(uri: "/api/search", method: .post, headers: [.contentType: "image/jpeg"],
                                                     body: ByteBuffer(bytes: photo.prefix(200)))
            XCTAssertEqual(truncated.status.code, 400)
            let brokenForm = try await client.execute(uri: "/api/search", method: .post, headers: [.contentType: "multipart/form-data; boundary=xyz"],
                                                      body: ByteBuffer(string: "--xyz\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nsky"))
            XCTAssertEqual(brokenForm.status.code, 400)
        }
    }

    func testTokenRequiredOffLoopbackAndCORSOnlyWhenConfigured() async throws {
        var exposed = ServerOptions()
        exposed.host = "0.0.0.0"
        XCTAssertThrowsError(try exposed.validate())
        exposed.token = "a-long-enough-token"
        XCTAssertNoThrow(try exposed.validate())
        XCTAssertNoThrow(try ServerOptions().validate())
        XCTAssertTrue(ServerOptions.isLoopback("127.0.0.1") && ServerOptions.isLoopback("::1") && !ServerOptions.isLoopback("192.168.1.2"))

        let fixture = try ServerTestFixture.shared()
        let secured = try fixture.service { $0.token = "a-long-enough-token"; $0.host = "0.0.0.0" }
        try await withServer(secured) { client in
            let status3 = try await client.execute(uri: "/api/stats", method: .get).status
            XCTAssertEqual(status3, .unauthorized)
            let status4 = try await client.execute(uri: "/api/search?q=sky", method: .get,
                                                    headers: [.authorization: "Bearer wrong-token-guess"]).status
            XCTAssertEqual(status4, .unauthorized)
            let status5 = try await client.execute(uri: "/api/stats", method: .get,
                                                    headers: [.authorization: "Bearer a-long-enough-token"]).status
            XCTAssertEqual(status5, .ok)
            let status6 = try await client.execute(uri: "/api/health", method: .get).status
            XCTAssertEqual(status6, .ok)
            let page = try await client.execute(uri: "/?token=a-long-enough-token", method: .get)
            let cookie = try XCTUnwrap(page.headers[.setCookie])
            XCTAssertTrue(cookie.contains("HttpOnly"))
            let cookieValue = String(cookie.split(separator: ";")[0])
            let status7 = try await client.execute(uri: "/api/stats", method: .get, headers: [.cookie: cookieValue]).status
            XCTAssertEqual(status7, .ok)
        }
        let plain = try fixture.service()
        try await withServer(plain) { client in
            let response = try await client.execute(uri: "/api/health", method: .get, headers: [.origin: "https://evil.example"])
            XCTAssertNil(response.headers[.accessControlAllowOrigin])
        }
        let cors = try fixture.service { $0.corsOrigin = "https://app.example" }
        try await withServer(cors) { client in
            let response = try await client.execute(uri: "/api/health", method: .get, headers: [.origin: "https://app.example"])
            XCTAssertEqual(response.headers[.accessControlAllowOrigin], "https://app.example")
        }
    }

    /// HEAD answers with GET's status and headers and no body; a known path asked with a method it does
    /// not take is 405 with an Allow header, while an unknown path stays 404.
    func testHeadRequestsAndWrongMethods() async throws {
        let fixture = try ServerTestFixture.shared()
        let service = try fixture.service()
        let id = try fixture.mediaID("space/hubble-tiny.jpg")
        let size = try Data(contentsOf: URL(fileURLWithPath: ServerTestFixture.path("space/hubble-tiny.jpg"))).count
        try await withServer(service) { client in
            let head = try await client.execute(uri: "/api/media/\(id)/original", method: .head)
            XCTAssertEqual(head.status, .ok)
            XCTAssertEqual(head.headers[.contentLength], "\(size)")
            XCTAssertEqual(head.body.readableBytes, 0)
            let missing = try await client.execute(uri: "/api/media/424242/original", method: .head)
            XCTAssertEqual(missing.status, .notFound)

            let wrong = try await client.execute(uri: "/api/stats", method: .delete)
            XCTAssertEqual(wrong.status.code, 405)
            XCTAssertEqual(wrong.headers[.allow], "GET, HEAD")
            XCTAssertEqual(wrong.headers[.xContentTypeOptions], "nosniff", "error responses carry the security headers too")
            let body = try decodeJSON(wrong.body)
            XCTAssertEqual((body["error"] as? [String: Any])?["code"] as? String, "method_not_allowed")
            let classify = try await client.execute(uri: "/api/classify", method: .get)
            XCTAssertEqual(classify.status.code, 405)
            XCTAssertEqual(classify.headers[.allow], "POST")
            let search = try await client.execute(uri: "/api/search", method: .put)
            XCTAssertEqual(search.headers[.allow], "GET, HEAD, POST")
            let media = try await client.execute(uri: "/api/media/\(id)/thumbnail", method: .post)
            XCTAssertEqual(media.status.code, 405)
            let unknown = try await client.execute(uri: "/api/nothing-here", method: .delete)
            XCTAssertEqual(unknown.status, .notFound)
            let deeper = try await client.execute(uri: "/api/media/\(id)/original/extra", method: .get)
            XCTAssertEqual(deeper.status, .notFound)
        }
    }
}

/// Decodes with the project's own decoder, so a PNG we write is checked by libpng, not by us.
enum ImageDecoderProbe {
    static func decode(_ data: Data) throws -> (width: Int, height: Int) {
        let image = try ImageCodecsBridge.decode(data)
        return (image.width, image.height)
    }
}
