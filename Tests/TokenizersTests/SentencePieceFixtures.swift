import Foundation
import Tokenizers
import XCTest

/// A fixed-seed generator (a 64-bit linear congruential step, high bits out), so fuzz tests corrupt the
/// same bytes on every run.
struct FixedSeedGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }
}

/// The `TokenizerError` that `body` throws, checked to be one line naming `path`; nil when `body` succeeds.
func tokenizerError(naming path: String, file: StaticString = #filePath, line: UInt = #line,
                    _ body: () throws -> Void) -> TokenizerError? {
    do {
        try body()
        return nil
    } catch let error as TokenizerError {
        XCTAssertFalse(error.description.contains("\n"), "one line: \(error)", file: file, line: line)
        XCTAssert(error.description.contains(path), "names \(path): \(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("unexpected error type \(error)", file: file, line: line)
        return nil
    }
}

/// Fixtures written by scripts/fixtures/make_sentencepiece_fixtures.py (see Tests/Fixtures/MANIFEST.md).
enum SentencePieceFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("sentencepiece")

    /// The trained models, each a folder with its model file, tokenizer_config.json, expected.json and
    /// (all but t5-unigram) tokenizer.json.
    static let modelNames = ["t5-unigram", "xlmr-unigram", "unigram-identity", "gemma-bpe", "llama-bpe"]

    struct Case: Decodable {
        let spm: [Int]
        let slow: [Int]?
        let hf: [Int]?
        let siglip2: [Int]?
        let hf_nonlegacy: [Int]?
        let slow_nonlegacy: [Int]?

        /// transformers' slow tokenizer output (stored only where it differs from the fast one).
        var slowOrFast: [Int] { slow ?? hf ?? [] }
    }

    struct Expected: Decodable {
        let model_file: String
        let fast_class: String?
        let slow_class: String
        let cases: [Case]
    }

    struct Strings: Decodable {
        let strings: [String]
    }

    struct Genuine: Decodable {
        struct Model: Decodable {
            let file: String
            let cases: [Case]
        }
        let models: [String: Model]
    }

    static let strings: Result<[String], Error> = Result {
        try JSONDecoder().decode(Strings.self, from: Data(contentsOf: directory.appendingPathComponent("strings.json")))
            .strings
    }

    static func folder(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder(name).appendingPathComponent("expected.json")))
    }

    static func genuine() throws -> Genuine {
        try JSONDecoder().decode(Genuine.self, from: Data(contentsOf: directory.appendingPathComponent("genuine_expected.json")))
    }

    static func escaped(_ text: String) -> String {
        let shown = text.unicodeScalars.prefix(60).map { scalar in
            (0x20..<0x7F).contains(scalar.value) ? String(scalar) : "\\u{\(String(scalar.value, radix: 16))}"
        }.joined()
        return text.unicodeScalars.count > 60 ? shown + "…" : shown
    }

    /// Compares every string's ids, reporting at most `limit` mismatches; returns how many matched.
    @discardableResult
    static func compare(_ label: String, strings: [String], expected: [[Int]], limit: Int = 8,
                        file: StaticString = #filePath, line: UInt = #line, encode: (String) -> [Int]) -> Int {
        var failures = 0
        for (text, ids) in zip(strings, expected) {
            let actual = encode(text)
            guard actual != ids else { continue }
            failures += 1
            if failures <= limit {
                XCTFail("\(label) \"\(escaped(text))\": expected \(ids.prefix(40)), got \(actual.prefix(40))",
                        file: file, line: line)
            }
        }
        if failures > limit { XCTFail("\(label): \(failures) strings differ in all", file: file, line: line) }
        XCTAssertEqual(strings.count, expected.count, "\(label): one expectation per string", file: file, line: line)
        return strings.count - failures
    }
}
