import Catalog
import Foundation
import ImageCodecs
import XCTest

@testable import SearchCore

/// `duplicates` end to end over an indexed folder: verified mode versus `.similar`, and HEIC/AVIF
/// files picked up by the indexer.
final class DuplicateModesTests: XCTestCase {
    var folder: URL!
    var catalog: Catalog!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("duplicate-modes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("photos"), withIntermediateDirectories: true)
        catalog = try Catalog(path: folder.appendingPathComponent("catalog.sqlite").path)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    var photos: URL { folder.appendingPathComponent("photos") }

    func index() throws -> IndexSummary {
        try Indexer(catalog: catalog, model: try SearchFixtures.searchModel())
            .run(IndexOptions(roots: [photos.path]), shouldStop: { false }, progress: { _ in })
    }

    func vector(_ name: String) throws -> [Float] {
        let record = try XCTUnwrap(try catalog.media(path: photos.appendingPathComponent(name).path), name)
        return try XCTUnwrap(try catalog.embeddings(mediaID: try XCTUnwrap(record.id), modelID: SearchFixtures.searchModel().identifier).first?.vector)
    }

    func testVerifiedModeSplitsOtherShotsThatSimilarModeGroups() throws {
        let rocket = try ImageDecoder.decode(fileAt: SearchFixtures.photos.appendingPathComponent("rocket-camera.jpg"))
        // Two views of one scene, shifted sideways (they share 24% of the scene), and a copy of one.
        let left = PhotoSignatureTests.crop(rocket, left: 0, top: 0, right: 0.38, bottom: 0)
        let right = PhotoSignatureTests.crop(rocket, left: 0.38, top: 0, right: 0, bottom: 0)
        try PNGEncoder.encode(left).write(to: photos.appendingPathComponent("left.png"))
        try PNGEncoder.encode(PhotoSignatureTests.scaled(left, 0.6)).write(to: photos.appendingPathComponent("left-small.png"))
        try PNGEncoder.encode(right).write(to: photos.appendingPathComponent("right.png"))
        XCTAssertEqual(try index().counters.embedded, 3)

        // The random-weight model is not calibrated: take a threshold that makes every pair a candidate.
        let vectors = try ["left.png", "left-small.png", "right.png"].map(vector)
        let cosines = [(0, 1), (0, 2), (1, 2)].map { pair in zip(vectors[pair.0], vectors[pair.1]).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        let threshold = cosines.min()! - 1e-3
        let modelID = try SearchFixtures.searchModel().identifier
        let names = { (groups: [DuplicateReport]) in groups.map { Set($0.members.map { ($0.path as NSString).lastPathComponent }) } }

        let verified = try DuplicateFinder.find(catalog: catalog, modelID: modelID, mode: .verified, threshold: threshold)
        XCTAssertEqual(names(verified.groups), [["left.png", "left-small.png"]])
        let members = try XCTUnwrap(verified.groups.first?.members)
        XCTAssertTrue(members.allSatisfy { ($0.pixelScore ?? 0) >= PhotoSignature.sameThreshold }, "\(members)")

        let similar = try DuplicateFinder.find(catalog: catalog, modelID: modelID, mode: .similar, threshold: threshold)
        XCTAssertEqual(names(similar.groups), [["left.png", "left-small.png", "right.png"]])
        XCTAssertEqual(similar.groups.first?.verified, false)
        XCTAssertTrue(similar.groups.first?.members.allSatisfy { $0.pixelScore == nil } ?? false)
    }

    func testUnreadablePhotosAreReportedNotFatal() throws {
        let rocket = SearchFixtures.photos.appendingPathComponent("rocket-camera.jpg")
        try FileManager.default.copyItem(at: rocket, to: photos.appendingPathComponent("a.jpg"))
        try FileManager.default.copyItem(at: rocket, to: photos.appendingPathComponent("b.jpg"))
        try FileManager.default.copyItem(at: rocket, to: photos.appendingPathComponent("c.jpg"))
        _ = try index()
        try FileManager.default.removeItem(at: photos.appendingPathComponent("c.jpg"))
        let result = try DuplicateFinder.find(catalog: catalog, modelID: try SearchFixtures.searchModel().identifier)
        XCTAssertEqual(result.groups.map { $0.members.count }, [2])
        XCTAssertEqual(result.unreadable, [photos.appendingPathComponent("c.jpg").path])
    }

    func testIndexerPicksUpHEICAndAVIF() throws {
        let heif = SearchFixtures.root.appendingPathComponent("images/heif")
        for name in ["coffee.heic", "coffee.avif", "chelsea-irot.heic", "coffee-truncated.heic"] {
            try FileManager.default.copyItem(at: heif.appendingPathComponent(name), to: photos.appendingPathComponent(name))
        }
        // Same container, other extensions cameras use.
        try FileManager.default.copyItem(at: heif.appendingPathComponent("coffee.heic"), to: photos.appendingPathComponent("COPY.HIF"))
        let summary = try index()
        XCTAssertEqual(summary.counters.scanned, 5)
        let decodable = ["coffee.heic": HEIFSupport.decodesHEIC, "COPY.HIF": HEIFSupport.decodesHEIC,
                         "chelsea-irot.heic": HEIFSupport.decodesHEIC, "coffee.avif": HEIFSupport.decodesAVIF]
        XCTAssertEqual(summary.counters.embedded, decodable.values.filter { $0 }.count)
        let failed = Set(summary.failures.map { ($0.path as NSString).lastPathComponent })
        XCTAssertEqual(failed, Set(["coffee-truncated.heic"] + decodable.filter { !$0.value }.map(\.key)))
        let truncated = try XCTUnwrap(summary.failures.first { $0.path.hasSuffix("coffee-truncated.heic") })
        XCTAssertTrue(truncated.reason.contains("corrupt or truncated"), truncated.reason)
        if HEIFSupport.decodesHEIC {
            // An exact copy has the same vector.
            XCTAssertEqual(try vector("coffee.heic"), try vector("COPY.HIF"))
        }
    }
}
