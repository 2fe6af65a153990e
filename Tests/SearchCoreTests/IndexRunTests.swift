import Catalog
import Foundation
import Media
import XCTest
@testable import SearchCore

/// One run for photos and videos, its run row, and the states a run must never leave behind.
final class IndexRunTests: XCTestCase {
    var folder: URL!
    var library: URL!
    var catalog: Catalog!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("index-run-\(UUID().uuidString)")
        library = folder.appendingPathComponent("library")
        try FileManager.default.createDirectory(at: library, withIntermediateDirectories: true)
        catalog = try Catalog(path: folder.appendingPathComponent("catalog.sqlite").path)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func path(_ relative: String) -> String { library.appendingPathComponent(relative).path }

    func place(_ photo: String, at relative: String) throws {
        try FileManager.default.createDirectory(atPath: (path(relative) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: SearchFixtures.photos.appendingPathComponent(photo).path, toPath: path(relative))
    }

    func index(videos tools: FFmpegTools? = nil, progress: (IndexProgress) -> Void = { _ in }) throws -> IndexSummary {
        var options = IndexOptions(roots: [library.path])
        options.videos = tools.map { tools in
            var videos = VideoIndexOptions(tools: tools)
            videos.sampling.sceneThreshold = nil
            return videos
        }
        return try Indexer(catalog: catalog, model: try SearchFixtures.searchModel()).run(options, progress: progress)
    }

    func vectors(_ relative: String) throws -> [FrameEmbedding] {
        let row = try XCTUnwrap(try catalog.media(path: path(relative)), relative)
        return try catalog.embeddings(mediaID: try XCTUnwrap(row.id), modelID: try SearchFixtures.searchModel().identifier)
    }

    /// A three-second test-pattern video made by ffmpeg.
    func makeVideo(_ relative: String, tools: FFmpegTools) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tools.ffmpeg)
        process.arguments = ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "testsrc=duration=3:size=160x120:rate=10",
                             "-pix_fmt", "yuv420p", path(relative)]
        try FileManager.default.createDirectory(atPath: (path(relative) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "ffmpeg made \(relative)")
    }

    /// Photos and videos under one folder: one walk, one run row, one summary counting both, and
    /// progress over all the files (the videos' with their position).
    func testMixedFolderIsOneRunWithOneSummary() throws {
        guard let tools = try? FFmpegTools.locate() else { throw XCTSkip("ffmpeg is not installed") }
        for (photo, name) in [("coffee-444.jpg", "photos/coffee.jpg"), ("hubble-tiny.jpg", "photos/hubble.jpg"), ("chelsea-rgba.png", "chelsea.png")] {
            try place(photo, at: name)
        }
        try makeVideo("clips/pattern.mp4", tools: tools)
        try FileManager.default.copyItem(atPath: path("clips/pattern.mp4"), toPath: path("clips/same pattern.mp4"))
        try Data().write(to: URL(fileURLWithPath: path("clips/empty.webm")))

        var events: [IndexProgress] = []
        let first = try index(videos: tools) { events.append($0) }
        XCTAssertEqual(first.counters.scanned, 6)
        XCTAssertEqual(first.counters.embedded, 4, "three photos and one video")
        XCTAssertEqual(first.counters.copied, 1, "the second copy of the video takes the first one's frames")
        XCTAssertEqual(first.counters.failed, 1)
        XCTAssertEqual(first.failures.map(\.path), [path("clips/empty.webm")])
        XCTAssertEqual(try vectors("clips/same pattern.mp4"), try vectors("clips/pattern.mp4"))
        XCTAssertEqual(try vectors("clips/pattern.mp4").map(\.frameTime), [0, 1, 2])
        XCTAssertEqual(try vectors("photos/hubble.jpg").count, 1)
        let runs = try catalog.indexRuns()
        XCTAssertEqual(runs.map(\.id), [first.runID], "one run row for photos and videos")
        XCTAssertEqual(runs.first?.status, .completed)
        XCTAssertEqual(runs.first?.counters, first.counters)
        XCTAssertEqual(events.first?.processed, 0)
        XCTAssertEqual(Set(events.map(\.total)), [6])
        XCTAssertEqual(events.last?.processed, 6)
        XCTAssertEqual(events.filter { $0.video == nil }.map(\.processed), [0, 3], "one photo batch")
        XCTAssertEqual(Set(events.compactMap(\.video?.path)), Set(["clips/empty.webm", "clips/pattern.mp4", "clips/same pattern.mp4"].map(path)))

        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(first)) as? [String: Any]
        XCTAssertEqual(json?["run_id"] as? Int, Int(first.runID))
        XCTAssertEqual(json?["embedded"] as? Int, 4, "the counters sit at the top level")
        XCTAssertEqual((json?["failures"] as? [[String: String]])?.first?["path"], path("clips/empty.webm"))
        XCTAssertEqual(try JSONDecoder().decode(IndexSummary.self, from: JSONEncoder().encode(first)).counters, first.counters)

        try FileManager.default.removeItem(atPath: path("clips/pattern.mp4"))
        try FileManager.default.removeItem(atPath: path("chelsea.png"))
        let second = try index(videos: tools)
        XCTAssertEqual(second.counters.unchanged, 4)
        XCTAssertEqual(second.counters.removed, 2, "a vanished photo and a vanished video, in the same run")
        XCTAssertEqual(try catalog.indexRuns().map(\.status), [.completed, .completed])
        XCTAssertEqual(try vectors("clips/same pattern.mp4").count, 3)
    }

    /// `a.png` and its duplicate `b.png` are indexed; `a.png` moves to another folder and `b.png` is
    /// touched. The moved file keeps its row and vector; the touched duplicate keeps its own.
    func testTouchedDuplicateDoesNotTakeTheMovedFilesRow() throws {
        try place("chelsea-rgba.png", at: "d1/a.png")
        try FileManager.default.copyItem(atPath: path("d1/a.png"), toPath: path("d1/b.png"))
        XCTAssertEqual(try index().counters.embedded, 2)
        let (a, b) = (try XCTUnwrap(try catalog.media(path: path("d1/a.png"))?.id), try XCTUnwrap(try catalog.media(path: path("d1/b.png"))?.id))
        let vector = try vectors("d1/a.png")

        try FileManager.default.createDirectory(atPath: path("d2"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: path("d1/a.png"), toPath: path("d2/mv_a.png"))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: path("d1/b.png"))
        let second = try index()
        XCTAssertEqual(try vectors("d2/mv_a.png"), vector, "the moved file has its vector")
        XCTAssertEqual(try vectors("d1/b.png"), vector)
        XCTAssertEqual(try catalog.media(path: path("d2/mv_a.png"))?.id, a, "the moved file kept its row")
        XCTAssertEqual(try catalog.media(path: path("d1/b.png"))?.id, b, "the touched duplicate kept its own row")
        XCTAssertEqual([second.counters.moved, second.counters.unchanged, second.counters.copied, second.counters.removed], [1, 1, 0, 0])
    }

    /// `p.png` is overwritten by a moved photo while a new `q.png` holds p's old bytes: the move
    /// deletes p's old row, the only one with that content, so `q.png` is embedded instead of copied.
    func testCopyWhoseSourceRowAMoveReplacedIsEmbedded() throws {
        try place("coffee-444.jpg", at: "d1/p.jpg")
        try place("hubble-tiny.jpg", at: "d0/y.jpg")
        _ = try index()
        let (pVector, yVector) = (try vectors("d1/p.jpg"), try vectors("d0/y.jpg"))
        let y = try XCTUnwrap(try catalog.media(path: path("d0/y.jpg"))?.id)

        try place("coffee-444.jpg", at: "d2/q.jpg")
        try FileManager.default.removeItem(atPath: path("d1/p.jpg"))
        try FileManager.default.moveItem(atPath: path("d0/y.jpg"), toPath: path("d1/p.jpg"))
        let second = try index()
        XCTAssertEqual(try catalog.media(path: path("d1/p.jpg"))?.id, y, "the moved photo kept its row")
        XCTAssertEqual(try vectors("d1/p.jpg"), yVector)
        XCTAssertEqual(try vectors("d2/q.jpg"), pVector, "the new file has the vector of its bytes")
        XCTAssertEqual([second.counters.moved, second.counters.embedded, second.counters.copied, second.counters.removed], [1, 1, 0, 0])
        XCTAssertEqual(try catalog.statistics().mediaCount, 2)
    }

    /// A run killed with SIGKILL leaves its row `running`; the next run, holding the index lock,
    /// knows no run is going and marks it interrupted.
    func testRunsLeftRunningAreMarkedInterruptedByTheNextRun() throws {
        try place("coffee-444.jpg", at: "coffee.jpg")
        let model = try SearchFixtures.searchModel()
        let killed = try catalog.write { writer in
            try writer.registerModel(id: model.identifier, name: model.name, dimension: model.embedder.dimension)
            return try writer.beginIndexRun(modelID: model.identifier, roots: [library.path])
        }
        XCTAssertEqual(try catalog.indexRuns().map(\.status), [.running])
        let summary = try index()
        let runs = try catalog.indexRuns()
        XCTAssertEqual(runs.map(\.id), [killed, summary.runID])
        XCTAssertEqual(runs.map(\.status), [.interrupted, .completed])
        XCTAssertNil(runs.first?.finishedAt, "when the killed run ended is not known")
    }

    func testASecondRunOnTheSameCatalogIsRefused() throws {
        try place("coffee-444.jpg", at: "coffee.jpg")
        let running = try IndexRunLock(catalogPath: catalog.path)
        XCTAssertThrowsError(try index()) { XCTAssertTrue("\($0)".contains("another index run"), "\($0)") }
        XCTAssertEqual(try catalog.indexRuns().count, 0, "the refused run left no row")
        withExtendedLifetime(running) {}
    }
}
