import Catalog
import Foundation
import Hummingbird
import HummingbirdTesting
import SearchCore
import XCTest
@testable import Server

final class ServerRouteTests: XCTestCase {
    func testHealthStatsPageAndOpenAPI() async throws {
        let fixture = try ServerTestFixture.shared()
        let service = try fixture.service()
        let expectedVectors = try fixture.catalog.models().first { $0.id == fixture.model.identifier }?.embeddingCount
        try await withServer(service) { client in
            try await client.execute(uri: "/api/health", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                let body = try decodeJSON(response.body)
                XCTAssertEqual(body["status"] as? String, "ok")
                XCTAssertEqual(body["vectors"] as? Int, expectedVectors)
            }
            try await client.execute(uri: "/api/stats", method: .get) { response in
                let body = try decodeJSON(response.body)
                XCTAssertEqual(body["model"] as? String, fixture.model.identifier)
                let folders = (body["folders"] as? [[String: Any]] ?? []).compactMap { $0["folder"] as? String }
                XCTAssertTrue(folders.contains(ServerTestFixture.path("space")), "folders: \(folders)")
                XCTAssertGreaterThan(body["photos"] as? Int ?? 0, 10)
            }
            try await client.execute(uri: "/", method: .get) { response in
                XCTAssertEqual(response.headers[.contentType], "text/html; charset=utf-8")
                XCTAssertNotNil(response.headers[.contentSecurityPolicy])
                let html = String(buffer: response.body)
                XCTAssertTrue(html.contains("id=\"search-form\"") && html.contains("/app.js"))
            }
            for asset in ["/app.js", "/app.css"] {
                try await client.execute(uri: asset, method: .get) { response in
                    XCTAssertEqual(response.status, .ok)
                    XCTAssertGreaterThan(response.body.readableBytes, 1000)
                }
            }
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                let document = try decodeJSON(response.body)
                let paths = (document["paths"] as? [String: Any]).map { Set($0.keys) } ?? []
                for route in ["/api/health", "/api/stats", "/api/search", "/api/similar/{id}", "/api/classify", "/api/embed",
                              "/api/media/{id}", "/api/media/{id}/thumbnail", "/api/media/{id}/original"] {
                    XCTAssertTrue(paths.contains(route), "openapi.json lacks \(route)")
                }
            }
            try await client.execute(uri: "/no/such/route", method: .get) { response in
                XCTAssertEqual(response.status, .notFound)
                let error = try decodeJSON(response.body)["error"] as? [String: Any]
                XCTAssertEqual(error?["code"] as? String, "not_found")
            }
        }
    }

    func testTextSearchPagesWithoutOverlapAndMatchesTheSearcher() async throws {
        let fixture = try ServerTestFixture.shared()
        let service = try fixture.service()
        // The CLI's searcher over photos only is the reference order for a text query.
        let reference = try Searcher(catalog: fixture.catalog, model: fixture.model, mediaType: .photo)
            .search(Query(terms: [QueryTerm(input: .text("a photo of the night sky"), weight: 1)]), top: 6)
        try await withServer(service) { client in
            let query = "q=a%20photo%20of%20the%20night%20sky&type=photo"
            let first = try decodeJSON(try await client.execute(uri: "/api/search?\(query)&limit=3", method: .get).body)
            let second = try decodeJSON(try await client.execute(uri: "/api/search?\(query)&limit=3&offset=3", method: .get).body)
            let paths = (results(first) + results(second)).compactMap { $0["path"] as? String }
            XCTAssertEqual(paths, reference.map(\.path))
            XCTAssertEqual(first["has_more"] as? Bool, true)
            let thumbnail = results(first).first?["thumbnail_url"] as? String
            XCTAssertTrue(thumbnail?.hasPrefix("/api/media/") == true)
            let scores = results(first).compactMap { ($0["score"] as? NSNumber)?.floatValue }
            XCTAssertEqual(scores, scores.sorted(by: >))
            XCTAssertEqual(Double(scores[0]), Double(reference[0].score), accuracy: 1e-5)
            // Any language reaches the tokenizer; the answer is a page, not an error.
            let unicode = try await client.execute(uri: "/api/search?q=%E5%A4%9C%E7%A9%BA&limit=2", method: .get)
            XCTAssertEqual(unicode.status, .ok)
        }
    }

    func testUploadedImageFindsItselfFirstByMultipartAndRawBody() async throws {
        let fixture = try ServerTestFixture.shared()
        let service = try fixture.service()
        let photo = try Data(contentsOf: URL(fileURLWithPath: ServerTestFixture.path("space/hubble-tiny.jpg")))
        try await withServer(service) { client in
            var form = MultipartBody()
            form.file("image", filename: "hubble.jpg", contentType: "image/jpeg", photo)
            form.field("type", "photo")
            let (body, headers) = form.finished()
            let multipart = try decodeJSON(try await client.execute(uri: "/api/search?limit=3", method: .post, headers: headers, body: body).body)
            XCTAssertEqual(results(multipart).first?["path"] as? String, ServerTestFixture.path("space/hubble-tiny.jpg"))
            XCTAssertEqual((results(multipart).first?["score"] as? NSNumber)?.doubleValue ?? 0, 1, accuracy: 1e-3)
            let raw = try decodeJSON(try await client.execute(uri: "/api/search?limit=3&type=photo", method: .post,
                                                              headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: photo)).body)
            XCTAssertEqual(results(raw).first?["path"] as? String, ServerTestFixture.path("space/hubble-tiny.jpg"))
            // Text and photo combined: the direction moves, so the self-match scores below 1 but stays near the top.
            var combined = MultipartBody()
            combined.file("image", filename: "hubble.jpg", contentType: "image/jpeg", photo)
            combined.field("q", "a cup of coffee")
            combined.field("type", "photo")
            let (combinedBody, combinedHeaders) = combined.finished()
            let mixed = try decodeJSON(try await client.execute(uri: "/api/search?limit=20", method: .post, headers: combinedHeaders, body: combinedBody).body)
            let selfHit = results(mixed).first { $0["path"] as? String == ServerTestFixture.path("space/hubble-tiny.jpg") }
            XCTAssertNotNil(selfHit)
            XCTAssertLessThan((selfHit?["score"] as? NSNumber)?.doubleValue ?? 1, 0.999)
        }
    }

    func testFiltersAndThreshold() async throws {
        let fixture = try ServerTestFixture.shared()
        let service = try fixture.service()
        let space = ServerTestFixture.path("space")
        try await withServer(service) { client in
            let folder = space.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? space
            let filtered = try decodeJSON(try await client.execute(uri: "/api/search?q=rocket&folder=\(folder)&limit=50", method: .get).body)
            XCTAssertFalse(results(filtered).isEmpty)
            XCTAssertTrue(results(filtered).allSatisfy { ($0["path"] as? String)?.hasPrefix(space + "/") == true })
            let all = try decodeJSON(try await client.execute(uri: "/api/search?q=rocket&limit=50", method: .get).body)
            let scores = results(all).compactMap { ($0["score"] as? NSNumber)?.floatValue }
            let cut = scores[scores.count / 2]
            let thresholded = try decodeJSON(try await client.execute(uri: "/api/search?q=rocket&limit=50&threshold=\(cut)", method: .get).body)
            XCTAssertEqual(results(thresholded).count, scores.filter { $0 >= cut }.count)
            let photos = try decodeJSON(try await client.execute(uri: "/api/search?q=rocket&limit=50&type=photo", method: .get).body)
            XCTAssertTrue(results(photos).allSatisfy { $0["type"] as? String == "photo" })
            for bad in ["type=audio", "limit=0", "limit=100000", "offset=-1", "threshold=7", "limit=abc", "like=xyz", ""] {
                let response = try await client.execute(uri: "/api/search?q=rocket&\(bad)".replacingOccurrences(of: "q=rocket&", with: bad.isEmpty ? "" : "q=rocket&"), method: .get)
                XCTAssertEqual(response.status, .badRequest, bad)
                XCTAssertEqual((try decodeJSON(response.body)["error"] as? [String: Any])?["status"] as? Int, 400)
            }
        }
    }

    func testSimilarClassifyAndEmbed() async throws {
        let fixture = try ServerTestFixture.shared()
        let service = try fixture.service()
        let astronaut = try fixture.mediaID("space/astronaut-progressive.jpg")
        let expectedText = try fixture.model.embedder.embed(texts: ["a dog"])[0]
        let photo = try Data(contentsOf: URL(fileURLWithPath: ServerTestFixture.path("animals/chelsea-exif6.jpg")))
        try await withServer(service) { client in
            let similar = try decodeJSON(try await client.execute(uri: "/api/similar/\(astronaut)?limit=5&type=photo", method: .get).body)
            XCTAssertFalse(results(similar).contains { ($0["media_id"] as? NSNumber)?.int64Value == astronaut })
            // Its re-encoded copy is the nearest other item.
            XCTAssertEqual(results(similar).first?["path"] as? String, ServerTestFixture.path("duplicates/astronaut-copy.webp"))
            let status1 = try await client.execute(uri: "/api/similar/999999", method: .get).status
            XCTAssertEqual(status1, .notFound)
            let status2 = try await client.execute(uri: "/api/similar/abc", method: .get).status
            XCTAssertEqual(status2, .badRequest)

            var form = MultipartBody()
            form.file("image", filename: "cat.jpg", contentType: "image/jpeg", photo)
            form.field("labels", "a cat, a rocket, a cup of coffee")
            let (body, headers) = form.finished()
            let classified = try decodeJSON(try await client.execute(uri: "/api/classify", method: .post, headers: headers, body: body).body)
            let labels = classified["labels"] as? [[String: Any]] ?? []
            XCTAssertEqual(Set(labels.compactMap { $0["label"] as? String }), ["a cat", "a rocket", "a cup of coffee"])
            let total = labels.compactMap { ($0["probability"] as? NSNumber)?.doubleValue }.reduce(0, +)
            XCTAssertEqual(total, 1, accuracy: 1e-4)
            let byMedia = try await client.execute(uri: "/api/classify?labels=a%20cat,a%20rocket&media_id=\(astronaut)", method: .post)
            XCTAssertEqual(byMedia.status, .ok)
            let jsonHeaders: HTTPFields = [.contentType: "application/json"]
            let byJSONMedia = try await client.execute(uri: "/api/classify", method: .post, headers: jsonHeaders,
                                                       body: ByteBuffer(string: #"{"labels":"a cat,a rocket","media_id":\#(astronaut)}"#))
            XCTAssertEqual(byJSONMedia.status, .ok)
            // Not ids: a fraction is not truncated, true is not 1, and overflowing or negative values are refused.
            for loose in ["\(astronaut).7", "true", "1e30", "-1", "0"] {
                let status = try await client.execute(uri: "/api/classify", method: .post, headers: jsonHeaders,
                                                      body: ByteBuffer(string: #"{"labels":"a cat,a rocket","media_id":\#(loose)}"#)).status
                XCTAssertEqual(status, .badRequest, loose)
            }
            var noLabels = MultipartBody()
            noLabels.file("image", filename: "cat.jpg", contentType: "image/jpeg", photo)
            let (noLabelsBody, noLabelsHeaders) = noLabels.finished()
            let status3 = try await client.execute(uri: "/api/classify", method: .post, headers: noLabelsHeaders, body: noLabelsBody).status
            XCTAssertEqual(status3, .badRequest)
            let status4 = try await client.execute(uri: "/api/classify?labels=cat", method: .post,
                                                    headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: photo)).status
            XCTAssertEqual(status4, .badRequest)

            let embedded = try decodeJSON(try await client.execute(uri: "/api/embed", method: .post, headers: [.contentType: "application/json"],
                                                                   body: ByteBuffer(string: #"{"texts": ["a dog"]}"#)).body)
            let vector = ((embedded["vectors"] as? [[NSNumber]])?.first ?? []).map(\.floatValue)
            XCTAssertEqual(vector.count, expectedText.count)
            for (a, b) in zip(vector, expectedText) { XCTAssertEqual(a, b, accuracy: 1e-6) }
            let image = try decodeJSON(try await client.execute(uri: "/api/embed", method: .post, headers: [.contentType: "image/jpeg"],
                                                                body: ByteBuffer(bytes: photo)).body)
            let imageVector = ((image["vectors"] as? [[NSNumber]])?.first ?? []).map(\.doubleValue)
            XCTAssertEqual(imageVector.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4)
            let array = try await client.execute(uri: "/api/embed", method: .post, headers: [.contentType: "application/json"],
                                                 body: ByteBuffer(string: "[1, 2]"))
            XCTAssertEqual(array.status, .badRequest)
            XCTAssertTrue(errorMessage(array).contains("must be an object") && errorMessage(array).contains("an array"), errorMessage(array))
            for broken in [#"{"texts": ["a do"#, #"{"text": "\ud800"}"#] {
                let response = try await client.execute(uri: "/api/embed", method: .post, headers: [.contentType: "application/json"],
                                                        body: ByteBuffer(string: broken))
                XCTAssertEqual(response.status, .badRequest, broken)
                XCTAssertTrue(errorMessage(response).hasPrefix("the body is not valid JSON: "), errorMessage(response))
                XCTAssertGreaterThan(errorMessage(response).count, "the body is not valid JSON: ".count + 5, "the parser's reason is kept")
            }
            let status6 = try await client.execute(uri: "/api/embed", method: .post, headers: [.contentType: "application/json"],
                                                    body: ByteBuffer(string: "{}")).status
            XCTAssertEqual(status6, .badRequest)
        }
    }
}

/// The `message` of a JSON error body, or "" when there is none.
func errorMessage(_ response: TestResponse) -> String {
    ((try? decodeJSON(response.body))?["error"] as? [String: Any])?["message"] as? String ?? ""
}
