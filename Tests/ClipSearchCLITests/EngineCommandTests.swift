import Foundation
import XCTest

/// Black-box tests of `clip-search embed`, `tokenize` and `--help`: run the built binary, read its output.
final class EngineCommandTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    let model = fixtures.appendingPathComponent("models/tiny-gelu").path

    struct Outcome {
        let status: Int32
        let standardOutput: String
        let standardError: String
        var lines: [String] { standardOutput.split(separator: "\n").map(String.init) }
    }

    static var binary: URL {
        let testBundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [testBundle, testBundle.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("clip-search")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return URL(fileURLWithPath: ".build/debug/clip-search")
    }

    func run(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                       standardError: String(decoding: errorData, as: UTF8.self))
    }

    func expected(_ folder: String = "models/tiny-gelu") throws -> [String: Any] {
        let url = Self.fixtures.appendingPathComponent("\(folder)/expected.json")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func parse(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    }

    func testHelpListsCommands() throws {
        let outcome = try run(["--help"])
        XCTAssertEqual(outcome.status, 0)
        for command in ["embed", "tokenize", "bench"] { XCTAssertTrue(outcome.standardOutput.contains(command), command) }
    }

    func testTokenizePrintsReferenceIDs() throws {
        let texts = try XCTUnwrap(expected()["texts"] as? [[String: Any]])
        let strings = texts.compactMap { $0["text"] as? String }
        let outcome = try run(["tokenize", "--model", model] + strings)
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
        XCTAssertEqual(outcome.lines.count, strings.count)
        for (line, entry) in zip(outcome.lines, texts) {
            let object = try parse(line)
            XCTAssertEqual(object["input"] as? String, entry["text"] as? String)
            XCTAssertEqual(object["ids"] as? [Int], entry["input_ids"] as? [Int], "\(entry["text"] ?? "")")
        }
    }

    func testEmbedPrintsTextsThenImagesMatchingReference() throws {
        try checkEmbedMatchesReference(folder: "models/tiny-gelu")
    }

    /// An OpenCLIP folder (open_clip_config.json, no config.json) works from the command line too.
    func testEmbedLoadsAnOpenCLIPFolder() throws {
        try checkEmbedMatchesReference(folder: "openclip/vit-tiny")
    }

    func checkEmbedMatchesReference(folder: String) throws {
        let reference = try expected(folder)
        let texts = try XCTUnwrap(reference["texts"] as? [[String: Any]]).prefix(3)
        let images = try XCTUnwrap(reference["images"] as? [[String: Any]]).prefix(3)
        var arguments = ["embed", "--model", Self.fixtures.appendingPathComponent(folder).path]
        // Images first on the command line: output must still list texts first.
        for image in images { arguments += ["--image", Self.fixtures.appendingPathComponent("photos/\(image["file"] as! String)").path] }
        for text in texts { arguments += ["--text", text["text"] as! String] }
        let outcome = try run(arguments)
        XCTAssertEqual(outcome.status, 0, outcome.standardError)
        XCTAssertEqual(outcome.lines.count, 6)
        let expectedVectors = texts.map { $0["text_embeds_normalized"] } + images.map { $0["image_embeds_normalized"] }
        for (index, line) in outcome.lines.enumerated() {
            let object = try parse(line)
            XCTAssertEqual(object["type"] as? String, index < 3 ? "text" : "image")
            let vector = try XCTUnwrap(object["embedding"] as? [Double])
            let want = try XCTUnwrap(expectedVectors[index] as? [Double])
            XCTAssertEqual(vector.count, want.count)
            XCTAssertEqual(vector.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)
            let worst = zip(vector, want).map { abs($0 - $1) }.max() ?? 1
            XCTAssertLessThanOrEqual(worst, index < 3 ? 1e-4 : 1e-3, line)
        }
    }

    func testBadImageIsReportedAndOthersStillPrinted() throws {
        let bad = Self.fixtures.appendingPathComponent("images/bad")
        let corrupt = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: bad.path).sorted().first)
        let good = Self.fixtures.appendingPathComponent("photos/chelsea-rgba.png").path
        let outcome = try run(["embed", "--model", model, "--image", bad.appendingPathComponent(corrupt).path, "--image", good])
        XCTAssertEqual(outcome.status, 1)
        XCTAssertEqual(outcome.lines.count, 1)
        XCTAssertEqual(try parse(outcome.lines[0])["input"] as? String, good)
        XCTAssertTrue(outcome.standardError.contains(corrupt), outcome.standardError)
    }

    func testMissingModelAndEmptyRequestAreOneLineErrors() throws {
        let missing = try run(["embed", "--model", "/nonexistent/model-dir", "--text", "hello"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.standardError.contains("/nonexistent/model-dir"), missing.standardError)
        XCTAssertEqual(missing.standardError.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count, 1)
        let empty = try run(["embed", "--model", model])
        XCTAssertNotEqual(empty.status, 0)
        XCTAssertTrue(empty.standardError.contains("--text"), empty.standardError)
    }
}
