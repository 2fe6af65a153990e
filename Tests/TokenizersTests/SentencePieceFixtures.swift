import Foundation
import Tokenizers
import XCTest

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
