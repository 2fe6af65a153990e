import Foundation
import XCTest
@testable import Tokenizers

/// Malformed `tokenizer.json` files: one-line errors naming the file and the JSON location, never a crash.
final class TokenizerJSONErrorTests: XCTestCase {
    private var directory: URL!
    private var url: URL { directory.appendingPathComponent("tokenizer.json") }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func fixture(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: SentencePieceFixtures.folder(name).appendingPathComponent("tokenizer.json"))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The error loading `json` gives (nil when it loads; then it must encode without crashing).
    private func loadError(_ json: Any, file: StaticString = #filePath, line: UInt = #line) throws -> String? {
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return loadError(file: file, line: line)
    }

    private func loadError(file: StaticString = #filePath, line: UInt = #line) -> String? {
        tokenizerError(naming: url.path, file: file, line: line) {
            let tokenizer = try HuggingFaceTokenizer(contentsOf: url)
            for sample in ["a photo of a cat", "Ångström ｶﾞ 🇫🇷", "  ", "<s>x</s><mask>"] { _ = tokenizer.encode(sample) }
        }?.description
    }

    func testTruncatedJSONIsMalformed() throws {
        let data = try Data(contentsOf: SentencePieceFixtures.folder("xlmr-unigram").appendingPathComponent("tokenizer.json"))
        for length in [0, 1, 100, data.count / 2, data.count - 2] {
            try data.prefix(length).write(to: url)
            XCTAssert(loadError()?.contains("malformed JSON") == true, "cut at \(length)")
        }
    }

    func testUnsupportedAndMistypedSectionsNameTheirLocation() throws {
        var json = try fixture("xlmr-unigram")
        var model = try XCTUnwrap(json["model"] as? [String: Any])
        model["type"] = "WordPiece"
        json["model"] = model
        XCTAssert(try loadError(json)?.contains("model.type") == true)

        json = try fixture("xlmr-unigram")
        json["normalizer"] = ["type": "Sequence", "normalizers": [["type": "BertNormalizer"]]]
        XCTAssert(try loadError(json)?.contains("normalizer.normalizers[0].type") == true)

        json = try fixture("xlmr-unigram")
        model = try XCTUnwrap(json["model"] as? [String: Any])
        model["unk_id"] = 99_999
        json["model"] = model
        XCTAssert(try loadError(json)?.contains("outside the vocabulary") == true)

        json = try fixture("xlmr-unigram")
        json["normalizer"] = ["type": "Precompiled", "precompiled_charsmap": "!!!"]
        XCTAssert(try loadError(json)?.contains("not base64") == true)
        json["normalizer"] = ["type": "Precompiled", "precompiled_charsmap": Data([1, 2, 3]).base64EncodedString()]
        XCTAssert(try loadError(json)?.contains("precompiled_charsmap") == true)

        json = try fixture("gemma-bpe")
        model = try XCTUnwrap(json["model"] as? [String: Any])
        model["merges"] = [["▁", "no-such-token"]]
        json["model"] = model
        XCTAssert(try loadError(json)?.contains("\"no-such-token\" is not in the vocabulary") == true)

        json = try fixture("gemma-bpe")
        json["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "(unclosed"], "behavior": "Isolated"]
        XCTAssert(try loadError(json)?.contains("does not compile") == true)
    }

    /// Every section replaced by values of the wrong type: each load fails cleanly or still works.
    func testEverySectionWithWrongTypesFailsCleanly() throws {
        let replacements: [Any] = [NSNull(), 42, "text", [Any](), [String: Any](), ["type": 7], ["type": "Nope"]]
        for name in ["xlmr-unigram", "gemma-bpe"] {
            let original = try fixture(name)
            for key in ["normalizer", "pre_tokenizer", "model", "post_processor", "added_tokens", "truncation", "padding"] {
                var failures = 0
                for replacement in replacements {
                    var json = original
                    json[key] = replacement
                    if try loadError(json) != nil { failures += 1 }
                }
                XCTAssertGreaterThan(failures, 0, "\(name).\(key)")
            }
        }
    }

    /// A corrupted charsmap trie inside tokenizer.json still normalizes within bounds.
    func testBitFlippedPrecompiledCharsMapNeverCrashes() throws {
        var json = try fixture("xlmr-unigram")
        var normalizer = try XCTUnwrap(json["normalizer"] as? [String: Any])
        var parts = try XCTUnwrap(normalizer["normalizers"] as? [[String: Any]])
        let encoded = try XCTUnwrap(parts[0]["precompiled_charsmap"] as? String)
        let blob = [UInt8](try XCTUnwrap(Data(base64Encoded: encoded)))
        let trieEnd = 4 + (Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24)
        var generator = FixedSeedGenerator(state: 99)
        for round in 0..<20 {
            var corrupted = blob
            for _ in 0..<(10 * (round + 1)) {
                corrupted[Int.random(in: 4..<trieEnd, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
            }
            parts[0]["precompiled_charsmap"] = Data(corrupted).base64EncodedString()
            normalizer["normalizers"] = parts
            json["normalizer"] = normalizer
            XCTAssertNil(try loadError(json))
        }
    }
}

/// The JSON parser tokenizer files are read with.
final class JSONParserTests: XCTestCase {
    private func parse(_ text: String) throws -> Any { try JSONParser.parse(Array(text.utf8)) }

    private func failure(_ text: String) -> JSONParser.Failure? { failure(bytes: Array(text.utf8)) }

    private func failure(bytes: [UInt8]) -> JSONParser.Failure? {
        do {
            _ = try JSONParser.parse(bytes)
            return nil
        } catch {
            return error as? JSONParser.Failure
        }
    }

    /// Foundation's JSONSerialization on Linux drops U+FEFF; vocabularies have a piece for it.
    func testKeepsByteOrderMarksInKeysAndValues() throws {
        let object = try XCTUnwrap(try parse("{\"\u{feff}\": 7, \"x\": \"a\u{feff}b\\ufeff\"}") as? [String: Any])
        XCTAssertEqual(object["\u{feff}"] as? Int, 7)
        XCTAssertEqual((object["x"] as? String)?.unicodeScalars.map(\.value), [0x61, 0xFEFF, 0x62, 0xFEFF])
    }

    func testValuesOfEveryKind() throws {
        let array = try XCTUnwrap(try parse(" [1, -2.5e1, true, false, null, \"\\u00e9\\ud83d\\ude00\\n\", {}, []] ") as? [Any])
        XCTAssertEqual(array[0] as? Int, 1)
        XCTAssertEqual(array[1] as? Double, -25)
        XCTAssertEqual(array[2] as? Bool, true)
        XCTAssertEqual(array[3] as? Bool, false)
        XCTAssert(array[4] is JSONParser.Null)
        XCTAssertEqual(array[5] as? String, "é😀\n")
        XCTAssertEqual((array[6] as? [String: Any])?.count, 0)
        XCTAssertEqual((array[7] as? [Any])?.count, 0)
    }

    func testMalformedInputNamesTheOffset() {
        XCTAssertEqual(failure("{\"a\" 1}")?.offset, 5)
        XCTAssertEqual(failure("[1, 2")?.reason, "unexpected end of data")
        XCTAssertEqual(failure("\"\\ud800\"")?.reason, "lone surrogate in \\u escape")
        XCTAssertEqual(failure("\"a\u{1}\"")?.reason, "control character in a string")
        XCTAssertNotNil(failure("[1] x"))
        XCTAssertNotNil(failure("1e999"))
        XCTAssertEqual(failure(bytes: [0x22, 0xFF, 0x22])?.reason, "string is not valid UTF-8")
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        XCTAssert(failure(deep)?.reason.contains("nested deeper") == true)
    }
}
