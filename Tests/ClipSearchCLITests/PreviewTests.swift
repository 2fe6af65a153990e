import Foundation
import XCTest

/// `search --preview`: sixel output when asked or when a sixel terminal identifies itself, and no
/// escape codes at all anywhere else.
extension SearchCommandTests {
    func previewSearch(_ extra: [String], environment: [String: String]) throws -> Outcome {
        try run(["search", path("beach/rocket-camera.jpg"), "--db", database, "--model", model, "--top", "3"] + extra,
                environment: environment)
    }

    func testPreviewIntoAPipeHasNoEscapeCodesUnlessRequested() throws {
        _ = try index()
        for terminal in ["foot", "xterm-sixel", "xterm-kitty", "mlterm"] {
            let outcome = try previewSearch(["--preview"], environment: ["TERM": terminal, "CLIPSEARCH_PREVIEW": ""])
            XCTAssertEqual(outcome.status, 0, outcome.standardError)
            XCTAssertFalse(outcome.standardOutput.contains("\u{1B}"), "\(terminal): stdout is not a terminal")
            XCTAssertTrue(outcome.standardOutput.hasPrefix("rank  score   path"))
        }
        for (extra, environment) in [(["--preview-protocol", "sixel"], [String: String]()),
                                     (["--preview"], ["CLIPSEARCH_PREVIEW": "sixel"])] {
            let outcome = try previewSearch(extra, environment: environment)
            XCTAssertEqual(outcome.status, 0, outcome.standardError)
            let images = outcome.standardOutput.components(separatedBy: "\u{1B}P0;1;0q\"1;1;").count - 1
            XCTAssertEqual(images, 3, "one sixel image per photo result")
            XCTAssertEqual(outcome.standardOutput.components(separatedBy: "\u{1B}\\").count - 1, 3)
            XCTAssertTrue(outcome.standardOutput.contains("\u{1B}P0;1;0q\"1;1;160;107#"), "rocket 640x427 → 160x107 thumbnail")
        }
        let invalid = try previewSearch(["--preview-protocol", "vt100"], environment: [:])
        XCTAssertNotEqual(invalid.status, 0)
        XCTAssertTrue(invalid.standardError.contains("preview-protocol"), invalid.standardError)
    }

    /// Under a pseudo-terminal (util-linux `script`), as a user would run it.
    func testPreviewDetectsSixelTerminalsOnly() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("needs util-linux script") }
        _ = try index()
        let command = [EngineCommandTests.binary.path, "search", path("beach/rocket-camera.jpg"), "--db", database,
                       "--model", model, "--top", "2", "--preview"].map { "'" + $0 + "'" }.joined(separator: " ")
        for (terminal, expectsSixel) in [("foot", true), ("mlterm", true), ("xterm-256color", false), ("dumb", false)] {
            let (process, output, error) = process(["-qec", command, "/dev/null"], environment: ["TERM": terminal, "CLIPSEARCH_PREVIEW": ""])
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let outputData = output.fileHandleForReading.readDataToEndOfFile()
            let errorData = error.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let outcome = Outcome(status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                                  standardError: String(decoding: errorData, as: UTF8.self))
            XCTAssertEqual(outcome.status, 0, outcome.standardError)
            XCTAssertTrue(outcome.standardOutput.contains("rank  score   path"), outcome.standardOutput)
            XCTAssertEqual(outcome.standardOutput.contains("\u{1B}P0;1;0q"), expectsSixel, terminal)
            if !expectsSixel { XCTAssertFalse(outcome.standardOutput.contains("\u{1B}"), terminal) }
        }
    }
}
