import Foundation
import Tokenizers
import XCTest

/// Fixtures written by scripts/fixtures/make_tokenizer_fixtures.py from open_clip's SimpleTokenizer.
enum TokenizerFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("tokenizer")

    static let fullVocabulary = directory.appendingPathComponent("clip-bpe")
    static let smallVocabulary = directory.appendingPathComponent("clip-bpe-small")

    struct ExpectedFile: Decodable {
        let vocabulary: String
        let context_length: Int
        let cases: [Case]
    }

    struct Case: Decodable {
        let text: String
        let normalized: String
        let words: [String]
        let ids: [Int]
        let truncated: [Int]
        let decoded: String
    }

    struct NormalizerFile: Decodable {
        let cases: [[String: String]]
    }

    static func load<Value: Decodable>(_ type: Value.Type, _ name: String) throws -> Value {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONDecoder().decode(type, from: data)
    }

    /// Swift's `==` on String uses canonical equivalence; parity with Python needs exact scalars.
    static func sameScalars(_ left: String, _ right: String) -> Bool {
        left.unicodeScalars.elementsEqual(right.unicodeScalars)
    }

    static func escaped(_ text: String) -> String {
        text.unicodeScalars.map { scalar in
            (0x20..<0x7F).contains(scalar.value) ? String(scalar) : "\\u{\(String(scalar.value, radix: 16))}"
        }.joined()
    }

    /// Full-vocabulary tokenizers are loaded once for the whole test run.
    static let fullTokenizer: Result<CLIPTokenizerPair, Error> = Result {
        try CLIPTokenizerPair(directory: fullVocabulary)
    }
    static let smallTokenizer: Result<CLIPTokenizerPair, Error> = Result {
        try CLIPTokenizerPair(directory: smallVocabulary)
    }
}

/// The configured tokenizer, and one with a huge context length to see untruncated sequences.
struct CLIPTokenizerPair: Sendable {
    let configured: CLIPTokenizer
    let unlimited: CLIPTokenizer

    init(directory: URL) throws {
        configured = try CLIPTokenizer(directory: directory)
        unlimited = try CLIPTokenizer(
            vocabularyFile: directory.appendingPathComponent("vocab.json"),
            mergesFile: directory.appendingPathComponent("merges.txt"),
            contextLength: 1_000_000)
    }
}
