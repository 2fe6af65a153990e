import Catalog
import Foundation
import XCTest

/// Black-box tests of video indexing, moment search, `export` and `thumbnail` with the tiny fixture
/// model, on videos generated with ffmpeg from the fixture photos (3 scenes × 4 s).
final class VideoCommandTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    let model = fixtures.appendingPathComponent("models/tiny-quickgelu").path
    static let scenePhotos = ["coffee-444.jpg", "rocket-baseline-420.jpg", "astronaut-progressive.jpg"]
    var work: URL!
    var media: URL!
    var database: String { work.appendingPathComponent("catalog.sqlite").path }

    struct Outcome {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg is not installed") }
        work = FileManager.default.temporaryDirectory.appendingPathComponent("clip-search-video-\(UUID().uuidString)")
        media = work.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    func photo(_ name: String) -> String { Self.fixtures.appendingPathComponent("photos/\(name)").path }

    func run(_ executable: URL, _ arguments: [String], input: String? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var variables = ProcessInfo.processInfo.environment
        variables["CLIPSEARCH_MODEL"] = nil
        variables["XDG_DATA_HOME"] = work.appendingPathComponent("xdg").path
        process.environment = variables
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let standardInput = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : standardInput
        try process.run()
        if let input {
            standardInput.fileHandleForWriting.write(Data(input.utf8))
            try standardInput.fileHandleForWriting.close()
        }
        let errorData = LockedData()
        let reader = Thread { errorData.set(error.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                       standardError: String(decoding: errorData.wait(), as: UTF8.self))
    }

    func clipSearch(_ arguments: [String], input: String? = nil) throws -> Outcome {
        try run(EngineCommandTests.binary, arguments, input: input)
    }

    /// One scene per photo, 4 s each, 320×240 H.264 at 10 fps.
    func makeScenes(_ photos: [String], name: String) throws {
        var arguments = ["-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
        for name in photos { arguments += ["-loop", "1", "-framerate", "10", "-t", "4", "-i", photo(name)] }
        var graph = ""
        for index in photos.indices {
            graph += "[\(index)]scale=320:240:force_original_aspect_ratio=increase,crop=320:240,setsar=1,fps=10[s\(index)];"
        }
        graph += photos.indices.map { "[s\($0)]" }.joined() + "concat=n=\(photos.count):v=1:a=0,format=yuv420p"
        arguments += ["-filter_complex", graph, "-c:v", "libx264", "-preset", "ultrafast", media.appendingPathComponent(name).path]
        let outcome = try run(URL(fileURLWithPath: "/usr/bin/ffmpeg"), arguments)
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
    }

    func index() throws -> [String: Any] {
        let outcome = try clipSearch(["index", media.path, "--db", database, "--model", model, "--json"])
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any], outcome.standardOutput)
    }

    func videoMoments(query photoName: String) throws -> [[String: Any]] {
        let outcome = try clipSearch(["search", photo(photoName), "--db", database, "--model", model, "--type", "video", "--json"])
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [[String: Any]])
    }

    /// The best moment for the photo of a scene lies on that scene (within ±1 s at both ends).
    func assertSceneFound(_ photoName: String, start: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        let moments = try videoMoments(query: photoName)
        let best = try XCTUnwrap(moments.first, file: file, line: line)
        XCTAssertEqual(best["type"] as? String, "video", file: file, line: line)
        XCTAssertEqual(best["path"] as? String, media.appendingPathComponent("scenes.mp4").path, file: file, line: line)
        let (momentStart, end, peak) = (best["start"] as? Double ?? -9, best["end"] as? Double ?? -9, best["peak"] as? Double ?? -9)
        XCTAssertEqual(momentStart, start, accuracy: 1, "\(photoName): \(best)", file: file, line: line)
        XCTAssertEqual(end, start + 4, accuracy: 1, "\(photoName): \(best)", file: file, line: line)
        XCTAssertTrue(peak >= start && peak < start + 4, "\(photoName): \(best)", file: file, line: line)
        // No two results cover the same time of one video.
        let spans = moments.filter { $0["path"] as? String == best["path"] as? String }
            .map { ($0["start"] as? Double ?? 0, $0["end"] as? Double ?? 0) }.sorted { $0.0 < $1.0 }
        for (first, second) in zip(spans, spans.dropFirst()) { XCTAssertLessThanOrEqual(first.1, second.0, file: file, line: line) }
    }

    func testIndexSearchReindexExportAndThumbnail() throws {
        try makeScenes(Self.scenePhotos, name: "scenes.mp4")
        try FileManager.default.copyItem(atPath: photo("hubble-tiny.jpg"), toPath: media.appendingPathComponent("hubble.jpg").path)
        // Bad videos: an mp4 cut in half (its index is at the end), audio only, empty.
        let whole = try Data(contentsOf: media.appendingPathComponent("scenes.mp4"))
        try whole.prefix(whole.count / 2).write(to: media.appendingPathComponent("truncated.mp4"))
        let audio = try run(URL(fileURLWithPath: "/usr/bin/ffmpeg"), ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi",
                                                                      "-i", "sine=duration=2", media.appendingPathComponent("audio.mkv").path])
        XCTAssertEqual(audio.status, 0, audio.standardError)
        try Data().write(to: media.appendingPathComponent("empty.webm"))

        let first = try index()
        XCTAssertEqual(first["scanned"] as? Int, 5)
        XCTAssertEqual(first["embedded"] as? Int, 2)
        XCTAssertEqual(first["failed"] as? Int, 3)
        let failures = try XCTUnwrap(first["failures"] as? [[String: String]])
        let reasons = Dictionary(uniqueKeysWithValues: failures.map { ((($0["path"] ?? "") as NSString).lastPathComponent, $0["reason"] ?? "") })
        XCTAssertEqual(Set(reasons.keys), ["truncated.mp4", "audio.mkv", "empty.webm"])
        XCTAssertTrue(reasons["audio.mkv"]?.contains("no video stream") ?? false, "\(reasons)")
        XCTAssertTrue(reasons["truncated.mp4"]?.contains("not a readable video") ?? false, "\(reasons)")

        let catalog = try Catalog(path: database, createIfMissing: false)
        XCTAssertEqual(try catalog.indexRuns().map(\.id), [Int64(first["run_id"] as? Int ?? -1)], "one run row for the photo and the videos")
        let row = try XCTUnwrap(try catalog.media(path: media.appendingPathComponent("scenes.mp4").path))
        XCTAssertEqual(row.mediaType, .video)
        XCTAssertEqual(row.codec, "h264")
        XCTAssertEqual(row.duration ?? 0, 12, accuracy: 0.15)
        let modelID = try XCTUnwrap(try catalog.models().first?.id)
        let frames = try catalog.embeddings(mediaID: try XCTUnwrap(row.id), modelID: modelID)
        // 1 s grid over 12 s; the cuts at 4 and 8 s fall on the grid.
        XCTAssertEqual(frames.map(\.frameTime), (0..<12).map(Double.init))

        for (scene, name) in Self.scenePhotos.enumerated() { try assertSceneFound(name, start: Double(scene) * 4) }

        // Mixed results: photos and moments in one list; the table names the segment.
        let table = try clipSearch(["search", photo("rocket-baseline-420.jpg"), "--db", database, "--model", model, "--top", "20"])
        XCTAssertEqual(table.status, 0, table.standardError)
        XCTAssertTrue(table.standardOutput.contains("scenes.mp4 @ 00:00:04–00:00:08"), table.standardOutput)
        XCTAssertTrue(table.standardOutput.contains("hubble.jpg"), table.standardOutput)
        let photosOnly = try clipSearch(["search", "a rocket", "--db", database, "--model", model, "--type", "photo", "--paths"])
        XCTAssertEqual(photosOnly.standardOutput.split(separator: "\n").map(String.init), [media.appendingPathComponent("hubble.jpg").path])
        // A text query reaches video moments too (the fixture model's weights are random, so only its shape is checked).
        let text = try clipSearch(["search", "a rocket", "--db", database, "--model", model, "--type", "video", "--json"])
        let textResults = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.standardOutput.utf8)) as? [[String: Any]])
        XCTAssertFalse(textResults.isEmpty)
        XCTAssertTrue(textResults.allSatisfy { $0["type"] as? String == "video" && $0["start"] is Double })

        // Unchanged: nothing re-embedded, bad files not retried.
        let second = try index()
        XCTAssertEqual(second["embedded"] as? Int, 0)
        XCTAssertEqual(second["unchanged"] as? Int, 5)
        // The video changes (scenes reordered): re-embedded, and the rocket is now at 8–12 s.
        try makeScenes([Self.scenePhotos[2], Self.scenePhotos[0], Self.scenePhotos[1]], name: "scenes.mp4")
        let third = try index()
        XCTAssertEqual(third["embedded"] as? Int, 1)
        try assertSceneFound("rocket-baseline-420.jpg", start: 8)
        try assertSceneFound("astronaut-progressive.jpg", start: 0)

        let clip = work.appendingPathComponent("rocket.mp4").path
        let export = try clipSearch(["export", media.appendingPathComponent("scenes.mp4").path, "--start", "00:00:08", "--end", "12", "-o", clip])
        XCTAssertEqual(export.status, 0, export.standardError)
        XCTAssertTrue(export.standardOutput.contains("4.0"), export.standardOutput)
        let thumbnail = work.appendingPathComponent("peak.jpg").path
        let grab = try clipSearch(["thumbnail", media.appendingPathComponent("scenes.mp4").path, "--at", "9.5", "-o", thumbnail])
        XCTAssertEqual(grab.status, 0, grab.standardError)
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: thumbnail))
        XCTAssertEqual(Array(jpeg.prefix(2)), [0xFF, 0xD8])
        let bad = try clipSearch(["export", media.appendingPathComponent("audio.mkv").path, "--start", "0", "--end", "1", "-o", clip])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.standardError.contains("no video stream"), bad.standardError)
    }

    /// Frame vectors of the one video in a catalog.
    func frameVectors(_ path: String) throws -> [FrameEmbedding] {
        let catalog = try Catalog(path: path, createIfMissing: false)
        let row = try XCTUnwrap(try catalog.media(path: media.appendingPathComponent("scenes.mp4").path))
        return try catalog.embeddings(mediaID: try XCTUnwrap(row.id), modelID: try XCTUnwrap(try catalog.models().first?.id))
    }

    /// Frames embed with one bf16 pass by default (on AMX CPUs) and as precisely as photos with
    /// `--video-precision model`; the two stay within bf16 rounding of each other.
    func testVideoPrecisionChoosesTheFrameProducts() throws {
        try makeScenes(Self.scenePhotos, name: "scenes.mp4")
        let precise = work.appendingPathComponent("model.sqlite").path
        let outcome = try clipSearch(["index", media.path, "--db", precise, "--model", model, "--video-precision", "model", "--quiet"])
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
        _ = try index()
        let reduced = try frameVectors(database), exact = try frameVectors(precise)
        XCTAssertEqual(reduced.map(\.frameTime), exact.map(\.frameTime))
        XCTAssertEqual(reduced.count, 12)
        let largest = zip(reduced, exact).flatMap { zip($0.vector, $1.vector).map { abs($0 - $1) } }.max() ?? .infinity
        XCTAssertLessThan(largest, 1e-2)
        let cpuFlags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if cpuFlags.contains(" amx_bf16") {
            XCTAssertGreaterThan(largest, 0, "bf16 frames should differ from bf16x3 ones on an AMX CPU")
        } else {
            XCTAssertEqual(largest, 0, "without AMX both run fp32")
        }
        let bad = try clipSearch(["index", media.path, "--db", precise, "--model", model, "--video-precision", "fp8"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.standardError.contains("video-precision"), bad.standardError)
    }

    /// Seconds ffprobe reads from a written file (independent of the CLI's own report).
    func probedDuration(_ path: String) throws -> Double {
        let outcome = try run(URL(fileURLWithPath: "/usr/bin/ffprobe"), ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path])
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
        return try XCTUnwrap(Double(outcome.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)), outcome.standardOutput)
    }

    /// `export`/`thumbnail --moment` take what `search` printed (table row, JSON result, the whole JSON
    /// array on stdin with --rank) and `--query` searches on the spot; the cuts last what the moment does.
    func testExportAndThumbnailOfSearchMoments() throws {
        try makeScenes(Self.scenePhotos, name: "scenes.mp4")
        let video = media.appendingPathComponent("scenes.mp4").path
        _ = try index()
        let search = ["search", photo("rocket-baseline-420.jpg"), "--db", database, "--model", model, "--type", "video"]
        let json = try clipSearch(search + ["--json"])
        XCTAssertEqual(json.status, 0, json.standardError)
        let results = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [[String: Any]])
        let best = try XCTUnwrap(results.first)
        let (start, end, peak) = (try XCTUnwrap(best["start"] as? Double), try XCTUnwrap(best["end"] as? Double), try XCTUnwrap(best["peak"] as? Double))
        XCTAssertEqual(start, 4, accuracy: 1, "\(best)")
        let bestText = String(decoding: try JSONSerialization.data(withJSONObject: best), as: UTF8.self)

        let fromJSON = work.appendingPathComponent("json.mp4").path
        let exported = try clipSearch(["export", "--moment", bestText, "-o", fromJSON])
        XCTAssertEqual(exported.status, 0, exported.standardError)
        XCTAssertEqual(try probedDuration(fromJSON), end - start, accuracy: 0.15)

        let table = try clipSearch(search)
        let row = try XCTUnwrap(table.standardOutput.split(separator: "\n").first { $0.contains("scenes.mp4 @") }, table.standardOutput)
        let fromTable = work.appendingPathComponent("table.mp4").path
        let tableExport = try clipSearch(["export", "--moment", String(row), "-o", fromTable, "--mode", "copy"])
        XCTAssertEqual(tableExport.status, 0, tableExport.standardError)
        // Stream copy starts at the key frame before the start: at least the moment's length.
        XCTAssertGreaterThanOrEqual(try probedDuration(fromTable), end - start - 0.15)

        if results.count >= 2, let second = results[1]["start"] as? Double, let secondEnd = results[1]["end"] as? Double {
            let piped = work.appendingPathComponent("second.mp4").path
            let outcome = try clipSearch(["export", "--moment", "-", "--rank", "2", "-o", piped], input: json.standardOutput)
            XCTAssertEqual(outcome.status, 0, outcome.standardError)
            XCTAssertEqual(try probedDuration(piped), min(secondEnd, 12) - second, accuracy: 0.15)
        }
        let queried = work.appendingPathComponent("query.mp4").path
        let query = try clipSearch(["export", "--query", photo("rocket-baseline-420.jpg"), "--db", database, "--model", model,
                                    "--pad", "1", "-o", queried])
        XCTAssertEqual(query.status, 0, query.standardError)
        XCTAssertEqual(try probedDuration(queried), min(end + 1, 12) - max(start - 1, 0), accuracy: 0.15)

        // The moment's thumbnail is its peak frame: byte for byte the frame `--at <peak>` writes.
        let byMoment = work.appendingPathComponent("moment.jpg").path, byTime = work.appendingPathComponent("at.jpg").path
        let grab = try clipSearch(["thumbnail", "--moment", bestText, "-o", byMoment])
        XCTAssertEqual(grab.status, 0, grab.standardError)
        XCTAssertEqual(try clipSearch(["thumbnail", video, "--at", "\(peak)", "-o", byTime]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: byMoment)), try Data(contentsOf: URL(fileURLWithPath: byTime)))

        // Bad moments: one line naming the argument, and nothing written.
        let photoResult = #"{"rank":1,"score":0.5,"path":"/p/a.jpg","media_id":1,"type":"photo","time":0}"#
        for (text, reason) in [(video + " @ 00:00:08–00:00:04", "end must be after"), (video, "expected '<path> @"),
                               (photoResult, "not a video moment"), ("{\"path\": 3", "not valid JSON")] {
            let bad = work.appendingPathComponent("bad.mp4").path
            let outcome = try clipSearch(["export", "--moment", text, "-o", bad])
            XCTAssertNotEqual(outcome.status, 0, text)
            let lines = outcome.standardError.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, outcome.standardError)
            XCTAssertTrue(outcome.standardError.contains("--moment") && outcome.standardError.contains(reason), outcome.standardError)
            XCTAssertFalse(FileManager.default.fileExists(atPath: bad))
        }
        let both = try clipSearch(["export", video, "--moment", bestText, "-o", fromJSON])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.standardError.contains("not both"), both.standardError)
    }

    /// `thumbnail` takes JSON times of 0 and 1, and reports the time of the frame it wrote (the
    /// last frame when asked for the very end), not the time asked.
    func testThumbnailReportsTheFrameTimeAndTakesZeroAndOneAsJSONTimes() throws {
        try makeScenes(Self.scenePhotos, name: "scenes.mp4")
        let video = media.appendingPathComponent("scenes.mp4").path
        let thumbnail = work.appendingPathComponent("end.jpg").path
        let end = try clipSearch(["thumbnail", video, "--at", "12", "-o", thumbnail])
        XCTAssertEqual(end.status, 0, end.standardError)
        XCTAssertTrue(end.standardOutput.contains("frame at 00:00:11.900"), end.standardOutput)
        for moment in [#"{"path":"VIDEO","start":0.0,"end":2.0,"peak":1.0}"#, #"{"path":"VIDEO","start":0,"end":1}"#] {
            let outcome = try clipSearch(["thumbnail", "--moment", moment.replacingOccurrences(of: "VIDEO", with: video), "-o", thumbnail])
            XCTAssertEqual(outcome.status, 0, outcome.standardError)
            XCTAssertTrue(outcome.standardOutput.contains("frame at 00:00:0"), outcome.standardOutput)
        }
        let missing = try clipSearch(["thumbnail", video, "--at", "30", "-o", thumbnail])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertFalse(missing.standardError.contains("export"), missing.standardError)
    }
}

/// Captures a pipe's bytes on another thread.
final class LockedData: @unchecked Sendable {
    private let condition = NSCondition()
    private var data: Data?

    func set(_ value: Data) {
        condition.lock()
        data = value
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> Data {
        condition.lock()
        defer { condition.unlock() }
        while data == nil { condition.wait() }
        return data ?? Data()
    }
}
