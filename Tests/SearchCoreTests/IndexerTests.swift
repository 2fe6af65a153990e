import Catalog
import XCTest
@testable import SearchCore

final class IndexerTests: XCTestCase {
    var gallery: URL!
    var catalog: Catalog!

    override func setUpWithError() throws {
        gallery = try SearchFixtures.galleryCopy()
        catalog = try Catalog(path: gallery.deletingLastPathComponent().appendingPathComponent("catalog.sqlite").path)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: gallery.deletingLastPathComponent())
    }

    func index(_ options: IndexOptions? = nil, stopAfter batches: Int? = nil) throws -> IndexSummary {
        let indexer = Indexer(catalog: catalog, model: try SearchFixtures.searchModel())
        let counter = BatchCounter(limit: batches)
        return try indexer.run(options ?? IndexOptions(roots: [gallery.path]), shouldStop: { counter.shouldStop },
                               progress: { progress in if progress.processed > 0 { counter.increment() } })
    }

    func path(_ relative: String) -> String { gallery.appendingPathComponent(relative).path }

    func testIncrementalRunsRecogniseUnchangedMovedCopiedEditedAndDeletedFiles() throws {
        let first = try index()
        XCTAssertEqual(first.counters.scanned, 19, "hidden folder and notes.txt are not scanned")
        XCTAssertEqual(first.counters.embedded, 15)
        XCTAssertEqual(first.counters.failed, 4)
        XCTAssertEqual(Set(first.failures.map { ($0.path as NSString).lastPathComponent }), ["empty.jpg", "truncated.jpg", "bomb.png", "not-an-image.png"])
        XCTAssertTrue(first.failures.contains { $0.reason.contains("too large") })

        let second = try index()
        XCTAssertEqual(second.counters.unchanged, 19)
        XCTAssertEqual(second.counters.embedded + second.counters.failed, 0, "unchanged and known-bad files are not read again")

        let rocketID = try XCTUnwrap(try catalog.media(path: path("beach/rocket-camera.jpg"))?.id)
        let rocketVector = try catalog.embeddings(mediaID: rocketID, modelID: SearchFixtures.searchModel().identifier)
        try FileManager.default.moveItem(atPath: path("beach"), toPath: path("plage à l'été"))
        try FileManager.default.removeItem(atPath: path("misc/logo.png"))
        try FileManager.default.copyItem(atPath: path("space/hubble-tiny.jpg"), toPath: path("hubble copy.jpg"))
        try FileManager.default.removeItem(atPath: path("misc/camera-gray.jpg"))
        try FileManager.default.copyItem(atPath: SearchFixtures.photos.appendingPathComponent("chelsea-cmyk.jpg").path, toPath: path("misc/camera-gray.jpg"))

        let third = try index()
        XCTAssertEqual(third.counters.moved, 1)
        XCTAssertEqual(third.counters.copied, 1)
        XCTAssertEqual(third.counters.embedded, 1, "only the edited file is embedded")
        XCTAssertEqual(third.counters.removed, 1)
        XCTAssertEqual(third.counters.unchanged, 16)
        let moved = try XCTUnwrap(try catalog.media(path: path("plage à l'été/rocket-camera.jpg")))
        XCTAssertEqual(moved.id, rocketID, "a moved file keeps its row and vector")
        XCTAssertEqual(try catalog.embeddings(mediaID: rocketID, modelID: SearchFixtures.searchModel().identifier), rocketVector)
        XCTAssertNil(try catalog.media(path: path("misc/logo.png")))
        XCTAssertEqual(try catalog.statistics().mediaCount, 19)
        let runs = try catalog.indexRuns()
        XCTAssertEqual(runs.map(\.status), [.completed, .completed, .completed])
        XCTAssertEqual(runs.last?.counters, third.counters, "the run log holds the counters")
        XCTAssertEqual(try catalog.integrityCheck(), ["ok"])
    }

    func testPhotoRunLeavesVideoRowsAlone() throws {
        let video = MediaRecord(path: path("clips/holiday.mp4"), size: 10, modificationTime: 1, contentHash: "v",
                                mediaType: .video, duration: 12.5, codec: "h264")
        try catalog.write { try $0.upsertMedia(video) }
        let summary = try index()
        XCTAssertEqual(summary.counters.removed, 0)
        XCTAssertEqual(try catalog.media(path: video.path)?.mediaType, .video, "video rows belong to the video indexer")
    }

    func testInterruptedRunCommitsFinishedBatchesAndTheNextRunResumes() throws {
        var options = IndexOptions(roots: [gallery.path])
        options.batchSize = 4
        let stopped = try index(options, stopAfter: 2)
        XCTAssertTrue(stopped.interrupted)
        let done = stopped.counters.embedded + stopped.counters.failed
        XCTAssertEqual(done, 8, "two batches of four were committed")
        XCTAssertEqual(try catalog.indexRuns().last?.status, .interrupted)
        let resumed = try index(options)
        XCTAssertFalse(resumed.interrupted)
        XCTAssertEqual(resumed.counters.unchanged, done)
        XCTAssertEqual(resumed.counters.embedded + stopped.counters.embedded, 15, "nothing embedded twice, nothing lost")
        XCTAssertEqual(try catalog.loadEmbeddings(modelID: SearchFixtures.searchModel().identifier).count, 15)
    }

    func testSearchFindsAnIndexedImageFirstAndRefusesAnotherModel() throws {
        _ = try index()
        let searcher = try Searcher(catalog: catalog, model: try SearchFixtures.searchModel())
        for relative in ["space/astronaut-progressive.jpg", "café/コーヒー.png", "animals/chats/été-chelsea.webp", "beach/rocket-camera.jpg"] {
            let results = try searcher.search(Query(terms: [QueryTerm(input: .image(path: path(relative)), weight: 1)]), top: 3)
            XCTAssertEqual(results.first?.path, path(relative))
            XCTAssertEqual(results.first?.score ?? 0, 1, accuracy: 1e-5)
        }
        let text = try searcher.search(Query.parse(["a photo of a cat"]), top: 5)
        XCTAssertEqual(text.count, 5)
        XCTAssertEqual(text.map(\.score), text.map(\.score).sorted(by: >))
        XCTAssertThrowsError(try Searcher(catalog: catalog, model: try SearchFixtures.searchModel("tiny-gelu"))) { error in
            guard case SearchError.modelMismatch = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("tiny-quickgelu"), "\(error)")
        }
    }

    func testDuplicatesGroupReencodedCopiesOnly() throws {
        _ = try index()
        let (groups, unreadable) = try DuplicateFinder.find(catalog: catalog, modelID: try SearchFixtures.searchModel().identifier)
        XCTAssertEqual(unreadable, [])
        func source(_ path: String) -> String {
            let name = (path as NSString).lastPathComponent.lowercased()
            for key in ["rocket", "astronaut", "chelsea", "coffee", "コーヒー"] where name.contains(key) {
                return key == "コーヒー" ? "coffee" : key
            }
            return name
        }
        let sets = groups.map { Set($0.members.map { ($0.path as NSString).lastPathComponent }) }
        XCTAssertTrue(sets.contains { $0.isSuperset(of: ["rocket-camera.jpg", "rocket-half-q70.jpg", "rocket-cropped.jpg"]) }, "\(sets)")
        XCTAssertTrue(sets.contains { $0.isSuperset(of: ["astronaut-progressive.jpg", "astronaut-copy.webp"]) }, "\(sets)")
        for group in groups {
            XCTAssertEqual(Set(group.members.map { source($0.path) }).count, 1, "a group mixes different photos: \(group.members.map(\.path))")
            XCTAssertTrue(group.verified)
            XCTAssertTrue(group.members.allSatisfy { $0.pixelScore != nil })
        }
    }
}

final class BatchCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    let limit: Int?
    init(limit: Int?) { self.limit = limit }
    func increment() { lock.withLock { count += 1 } }
    var shouldStop: Bool { lock.withLock { limit.map { count >= $0 } ?? false } }
}
