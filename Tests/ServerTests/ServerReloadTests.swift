import Catalog
import Foundation
import Hummingbird
import HummingbirdTesting
import SearchCore
import XCTest
@testable import Server

final class ServerReloadTests: XCTestCase {
    /// An index run (here: a second catalog connection writing a batch) commits while the server is
    /// up; the next search after the refresh interval sees the new item without a restart.
    func testNewVectorsCommittedByAnotherWriterAppearWithoutRestart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("server-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("catalog.sqlite").path
        let model = try SearchModel.load(argument: ServerTestFixture.modelFolder.path)
        let reader = try Catalog(path: path)
        _ = try Indexer(catalog: reader, model: model).run(IndexOptions(roots: [ServerTestFixture.gallery.appendingPathComponent("space").path]))
        var options = ServerOptions(thumbnailDirectory: folder.appendingPathComponent("thumbnails"))
        options.maxResults = 50
        let service = try SearchService(catalog: reader, model: model, options: options)
        service.refreshInterval = 0
        let before = try service.search({ var r = SearchRequest(); r.text = "coffee"; r.limit = 50; return r }()).results.count

        let writer = try Catalog(path: path)
        _ = try Indexer(catalog: writer, model: model).run(IndexOptions(roots: [ServerTestFixture.gallery.appendingPathComponent("café").path]))
        try await withServer(service) { client in
            let page = try decodeJSON(try await client.execute(uri: "/api/search?q=coffee&limit=50", method: .get).body)
            let paths = results(page).compactMap { $0["path"] as? String }
            XCTAssertEqual(paths.count, before + 3, "\(paths)")
            XCTAssertTrue(paths.contains(ServerTestFixture.path("café/coffee.tif")))
        }
    }
}
