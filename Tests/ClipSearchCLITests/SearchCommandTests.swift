import Catalog
import Foundation
import GRDB
import XCTest

/// Black-box tests of `clip-search index | search | classify | duplicates` over the checked-in gallery
/// with the tiny fixture model; the catalog file is inspected with the Catalog module.
final class SearchCommandTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    let model = fixtures.appendingPathComponent("models/tiny-quickgelu").path
    var work: URL!
    var gallery: URL!
    var database: String { work.appendingPathComponent("catalog.sqlite").path }

    struct Outcome {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("clip-search-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        gallery = work.appendingPathComponent("gallery")
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("gallery"), to: gallery)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    func path(_ relative: String) -> String { gallery.appendingPathComponent(relative).path }

    func process(_ arguments: [String], environment: [String: String]) -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = EngineCommandTests.binary
        process.arguments = arguments
        var variables = ProcessInfo.processInfo.environment
        variables["CLIPSEARCH_MODEL"] = nil
        variables["XDG_DATA_HOME"] = work.appendingPathComponent("xdg").path
        for (key, value) in environment { variables[key] = value }
        process.environment = variables
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        return (process, output, error)
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let (process, output, error) = process(arguments, environment: environment)
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                       standardError: String(decoding: errorData, as: UTF8.self))
    }

    func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    func index(_ extra: [String] = []) throws -> [String: Any] {
        let outcome = try run(["index", gallery.path, "--db", database, "--model", model, "--json"] + extra)
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
        return try XCTUnwrap(try json(outcome.standardOutput) as? [String: Any], outcome.standardOutput)
    }

    func testIndexReindexAfterEditsMovesAndDeletes() throws {
        let first = try index()
        XCTAssertEqual(first["scanned"] as? Int, 19)
        XCTAssertEqual(first["embedded"] as? Int, 15)
        XCTAssertEqual(first["failed"] as? Int, 4)
        let failures = try XCTUnwrap(first["failures"] as? [[String: String]])
        XCTAssertEqual(Set(failures.compactMap { $0["path"] }), Set(["bad/empty.jpg", "bad/truncated.jpg", "bad/bomb.png", "bad/not-an-image.png"].map(path)))
        XCTAssertTrue(failures.allSatisfy { !($0["reason"] ?? "").isEmpty })

        let catalog = try Catalog(path: database, createIfMissing: false)
        let coffeeBefore = try XCTUnwrap(try catalog.media(path: path("café/コーヒー.png")))
        try FileManager.default.createDirectory(atPath: path("renamed"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: path("café/コーヒー.png"), toPath: path("renamed/咖啡 moved.png"))
        try FileManager.default.removeItem(atPath: path("misc/tiny-animated.gif"))
        try Data(contentsOf: Self.fixtures.appendingPathComponent("photos/chelsea-cmyk.jpg")).write(to: URL(fileURLWithPath: path("space/hubble-tiny.jpg")))
        try FileManager.default.copyItem(atPath: path("misc/camera-gray.jpg"), toPath: path("misc/camera copy.jpg"))

        let second = try index()
        XCTAssertEqual(second["moved"] as? Int, 1)
        XCTAssertEqual(second["removed"] as? Int, 1)
        XCTAssertEqual(second["embedded"] as? Int, 1, "only the edited file is embedded again")
        XCTAssertEqual(second["copied"] as? Int, 1)
        XCTAssertEqual(second["unchanged"] as? Int, 16)
        let moved = try XCTUnwrap(try catalog.media(path: path("renamed/咖啡 moved.png")))
        XCTAssertEqual(moved.id, coffeeBefore.id, "the moved file kept its row, so it was not re-embedded")
        let runs = try catalog.indexRuns()
        XCTAssertTrue(runs.contains { $0.counters.moved == 1 && $0.counters.embedded == 1 && $0.counters.removed == 1 },
                      "the run log holds the photo run's counters")
        XCTAssertEqual(try catalog.integrityCheck(), ["ok"])

        let third = try index()
        XCTAssertEqual(third["unchanged"] as? Int, 19)
    }

    func testSearchByImageTextAndCombination() throws {
        _ = try index()
        for relative in ["space/astronaut-progressive.jpg", "animals/chelsea-exif6.jpg", "misc/camera-gray.jpg", "café/coffee.tif"] {
            let outcome = try run(["search", path(relative), "--db", database, "--model", model, "--json", "--top", "3"])
            XCTAssertEqual(outcome.status, 0, outcome.standardError)
            let results = try XCTUnwrap(try json(outcome.standardOutput) as? [[String: Any]])
            XCTAssertEqual(results.first?["path"] as? String, path(relative), "an indexed image finds itself first")
            XCTAssertEqual(results.first?["score"] as? Double ?? 0, 1, accuracy: 1e-4)
        }
        let text = try run(["search", "a", "photo", "of", "a", "rocket", "--db", database, "--top", "4", "--json"], environment: ["CLIPSEARCH_MODEL": model])
        XCTAssertEqual(text.status, 0, text.standardError)
        let textResults = try XCTUnwrap(try json(text.standardOutput) as? [[String: Any]])
        XCTAssertEqual(textResults.map { $0["rank"] as? Int }, [1, 2, 3, 4])
        let scores = textResults.compactMap { $0["score"] as? Double }
        XCTAssertEqual(scores, scores.sorted(by: >))

        let combined = try run(["search", "cat", "+", path("beach/rocket-camera.jpg"), "-", "2:people", "--db", database, "--model", model, "--paths", "--top", "2"])
        XCTAssertEqual(combined.status, 0, combined.standardError)
        XCTAssertEqual(combined.standardOutput.split(separator: "\n").count, 2)

        let table = try run(["search", path("beach/rocket-camera.jpg"), "--db", database, "--model", model, "--threshold", "0.95", "--preview"], environment: ["TERM": "dumb"])
        XCTAssertEqual(table.status, 0, table.standardError)
        let lines = table.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.first, "rank  score   path")
        XCTAssertTrue(lines.dropFirst().allSatisfy { line in (Double(line.split(separator: " ")[1]) ?? 0) >= 0.95 }, table.standardOutput)
        XCTAssertTrue(table.standardError.contains("--preview"), "preview degrades with a note")
    }

    /// A file name with a line break stays on one table row (escaped), and a query naming a missing
    /// photo is searched as text with a note saying so.
    func testTableEscapesFileNamesAndMissingPhotosAreNoted() throws {
        let odd = path("misc/line\nbreak\u{1B}[31m.jpg")
        try FileManager.default.copyItem(atPath: path("beach/rocket-camera.jpg"), toPath: odd)
        _ = try index()
        let table = try run(["search", odd, "--db", database, "--model", model, "--top", "3"])
        XCTAssertEqual(table.status, 0, table.standardError)
        let rows = table.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().filter { !$0.isEmpty }
        XCTAssertEqual(rows.count, 3, table.standardOutput)
        XCTAssertTrue(rows.contains { $0.hasSuffix(#"misc/line\nbreak\u{1B}[31m.jpg"#) }, table.standardOutput)
        XCTAssertFalse(table.standardOutput.contains("\u{1B}"), "no raw escape sequence reaches the terminal")

        let missing = path("misc/no-such-photo.jpg")
        let noted = try run(["search", missing, "--db", database, "--model", model, "--json"])
        XCTAssertEqual(noted.status, 0, noted.standardError)
        XCTAssertTrue(noted.standardError.contains("no file '\(missing)'"), noted.standardError)
        XCTAssertNoThrow(try json(noted.standardOutput), "stdout keeps only the results")
    }

    func testErrorsAreOneLineAndNonZero() throws {
        _ = try index()
        let otherModel = Self.fixtures.appendingPathComponent("models/tiny-gelu").path
        let mismatch = try run(["search", "cat", "--db", database, "--model", otherModel])
        XCTAssertNotEqual(mismatch.status, 0)
        XCTAssertTrue(mismatch.standardError.contains("tiny-quickgelu") && mismatch.standardError.contains("tiny-gelu"), mismatch.standardError)
        XCTAssertEqual(mismatch.standardError.trimmingCharacters(in: .newlines).split(separator: "\n").count, 1)

        let noModel = try run(["search", "cat", "--db", database])
        XCTAssertNotEqual(noModel.status, 0)
        XCTAssertTrue(noModel.standardError.contains("CLIPSEARCH_MODEL"), noModel.standardError)

        let noCatalog = try run(["search", "cat", "--model", model])
        XCTAssertNotEqual(noCatalog.status, 0)
        XCTAssertTrue(noCatalog.standardError.contains(work.appendingPathComponent("xdg/clip-search/catalog.sqlite").path), noCatalog.standardError)

        let hugeUpload = try run(["serve", "--max-upload-mb", "99999999999999", "--db", database, "--model", model])
        XCTAssertNotEqual(hugeUpload.status, 0)
        XCTAssertTrue(hugeUpload.standardError.contains("--max-upload-mb must be between 1 and 65536"), hugeUpload.standardError)

        let badQuery = try run(["search", "cat", "+", "--db", database, "--model", model])
        XCTAssertNotEqual(badQuery.status, 0)
        XCTAssertTrue(badQuery.standardError.contains("invalid query"), badQuery.standardError)
    }

    func testDuplicatesGroupReencodedCopies() throws {
        _ = try index()
        let outcome = try run(["duplicates", "--db", database, "--json"])
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
        let groups = try XCTUnwrap(try json(outcome.standardOutput) as? [[String: Any]])
        let sets = groups.map { group in
            Set(((group["members"] as? [[String: Any]]) ?? []).compactMap { ($0["path"] as? String).map { ($0 as NSString).lastPathComponent } })
        }
        XCTAssertTrue(sets.contains { $0.isSuperset(of: ["rocket-camera.jpg", "rocket-half-q70.jpg", "rocket-cropped.jpg"]) }, "\(sets)")
        XCTAssertTrue(sets.contains { $0.isSuperset(of: ["astronaut-progressive.jpg", "astronaut-copy.webp"]) }, "\(sets)")
        XCTAssertFalse(sets.contains { $0.contains("rocket-camera.jpg") && $0.contains("astronaut-copy.webp") })
        for group in groups {
            XCTAssertEqual(group["verified"] as? Bool, true)
            let members = (group["members"] as? [[String: Any]]) ?? []
            XCTAssertTrue(members.allSatisfy { ($0["pixel_score"] as? Double) != nil && ($0["score"] as? Double) != nil }, "\(members)")
        }

        let loose = try run(["duplicates", "--db", database, "--threshold", "0.5"])
        XCTAssertEqual(loose.status, 0, loose.standardError)
        XCTAssertTrue(loose.standardOutput.hasPrefix("group 1: "), loose.standardOutput)
        XCTAssertTrue(loose.standardOutput.contains("  pixels "), loose.standardOutput)

        let similar = try run(["duplicates", "--db", database, "--similar", "--threshold", "0.5", "--json"])
        XCTAssertEqual(similar.status, 0, similar.standardError)
        let similarGroups = try XCTUnwrap(try json(similar.standardOutput) as? [[String: Any]])
        XCTAssertFalse(similarGroups.isEmpty)
        XCTAssertTrue(similarGroups.allSatisfy { $0["verified"] as? Bool == false })
    }

    func testClassifyWithPromptEnsembling() throws {
        let labels = work.appendingPathComponent("labels.txt")
        try "cat\ncoffee\nrocket\n".write(to: labels, atomically: true, encoding: .utf8)
        let outcome = try run(["classify", path("café/coffee-444.jpg"), path("beach/rocket-camera.jpg"), "--labels-file", labels.path, "--model", model, "--json"])
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
        let images = try XCTUnwrap(try json(outcome.standardOutput) as? [[String: Any]])
        XCTAssertEqual(images.count, 2)
        for image in images {
            let scores = try XCTUnwrap(image["labels"] as? [[String: Any]])
            XCTAssertEqual(Set(scores.compactMap { $0["label"] as? String }), ["cat", "coffee", "rocket"])
            XCTAssertEqual(scores.compactMap { $0["probability"] as? Double }.reduce(0, +), 1, accuracy: 1e-4)
        }
        let bad = try run(["classify", path("bad/empty.jpg"), "--labels", "cat,dog", "--model", model])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.standardError.contains(path("bad/empty.jpg")), bad.standardError)
    }

    /// SIGKILL in the middle of an index run, then resume: the catalog passes integrity_check, every
    /// vector committed before the kill is still there and is not embedded again.
    func testKillDuringIndexingThenResume() throws {
        let (process, _, _) = process(["index", gallery.path, "--db", database, "--model", model, "--batch-size", "2", "--pause-after-batch", "0.4"], environment: [:])
        try process.run()
        var committed = 0
        let deadline = Date().addingTimeInterval(30)
        while committed < 4 && Date() < deadline && process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
            committed = (try? vectorCount()) ?? 0
        }
        XCTAssertTrue(process.isRunning, "the run was still going when killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)

        let catalog = try Catalog(path: database, createIfMissing: false)
        XCTAssertEqual(try catalog.integrityCheck(), ["ok"])
        let survived = try vectorCount()
        XCTAssertGreaterThanOrEqual(survived, 4)
        XCTAssertLessThan(survived, 15, "killed before the end")
        XCTAssertEqual(try catalog.indexRuns().last?.status, .running, "the killed run never finished")

        let resumed = try index()
        XCTAssertEqual(resumed["embedded"] as? Int, 15 - survived, "vectors committed before the kill are kept, not recomputed")
        XCTAssertEqual(try catalog.indexRuns().map(\.status), [.interrupted, .completed], "the next run marked the killed one interrupted")
        XCTAssertEqual(try vectorCount(), 15)
        XCTAssertEqual(try catalog.integrityCheck(), ["ok"])
    }

    func testControlCStopsAfterTheCurrentBatch() throws {
        let (process, output, error) = process(["index", gallery.path, "--db", database, "--model", model, "--batch-size", "2", "--pause-after-batch", "0.4"], environment: [:])
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while ((try? vectorCount()) ?? 0) < 2 && Date() < deadline && process.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        kill(process.processIdentifier, SIGINT)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130, errorText)
        XCTAssertTrue(text.hasPrefix("Interrupted"), text)
        let catalog = try Catalog(path: database, createIfMissing: false)
        XCTAssertEqual(try catalog.indexRuns().last?.status, .interrupted)
        XCTAssertEqual(try catalog.integrityCheck(), ["ok"])
    }

    /// A catalog in the first schema version (v1, photos only) is upgraded by the next command.
    func testMigratesFirstSchemaVersionCatalog() throws {
        do {
            let queue = try DatabaseQueue(path: database)
            try CatalogSchema.migrator.migrate(queue, upTo: CatalogSchema.version1)
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO media (path, size, mtime, content_hash, indexed_at) VALUES (?, 1, 1, 'gone', 1)
                    """, arguments: [path("deleted-before-upgrade.jpg")])
            }
            try queue.close()
        }
        let outcome = try run(["index", gallery.path, "--db", database, "--model", model, "--json"])
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
        XCTAssertTrue(outcome.standardError.contains("upgraded"), outcome.standardError)
        let summary = try XCTUnwrap(try json(outcome.standardOutput) as? [String: Any])
        XCTAssertEqual(summary["removed"] as? Int, 1, "the v1 row of a vanished file is removed")
        XCTAssertEqual(summary["embedded"] as? Int, 15)
        let catalog = try Catalog(path: database, createIfMissing: false)
        XCTAssertEqual(try catalog.schemaVersions(), [CatalogSchema.version1, CatalogSchema.version2])
    }

    func vectorCount() throws -> Int {
        try Catalog(path: database, createIfMissing: false).models().reduce(0) { $0 + $1.embeddingCount }
    }
}
