import Foundation
import Tokenizers
import XCTest

/// WordPiece parity with transformers' BertTokenizer on the genuine Chinese-CLIP vocabulary (21128 tokens),
/// from Tests/Fixtures/chinese-clip/wordpiece_expected.json (scripts/fixtures/make_chinese_clip_fixtures.py).
final class WordPieceTokenizerTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("chinese-clip")
    static let vocabulary = directory.appendingPathComponent("vocab").appendingPathComponent("vocab.txt")

    struct ExpectedFile: Decodable {
        let context_length: Int
        let configurations: [Configuration]
    }

    struct Configuration: Decodable {
        let name: String
        let do_lower_case: Bool
        let strip_accents: Bool?
        let tokenize_chinese_chars: Bool
        let cases: [Case]
    }

    struct Case: Decodable {
        let text: String
        let tokens: [String]
        let ids: [Int]
        let truncated: [Int]
    }

    static func expected() throws -> ExpectedFile {
        let data = try Data(contentsOf: directory.appendingPathComponent("wordpiece_expected.json"))
        return try JSONDecoder().decode(ExpectedFile.self, from: data)
    }

    func testGenuineVocabularyLoads() throws {
        let tokenizer = try WordPieceTokenizer(vocabularyFile: Self.vocabulary)
        XCTAssertEqual(tokenizer.vocabularySize, 21128)
        XCTAssertEqual([tokenizer.paddingTokenID, tokenizer.unknownTokenID, tokenizer.classTokenID, tokenizer.separatorTokenID],
                       [0, 100, 101, 102])
        XCTAssertEqual(tokenizer.contextLength, 52)
    }

    func testEveryConfigurationMatchesBertTokenizer() throws {
        let expected = try Self.expected()
        var total = 0
        for configuration in expected.configurations {
            let basic = BasicTokenizer(
                lowercases: configuration.do_lower_case, stripsAccents: configuration.strip_accents,
                splitsChineseCharacters: configuration.tokenize_chinese_chars)
            let tokenizer = try WordPieceTokenizer(
                vocabularyFile: Self.vocabulary, basicTokenizer: basic, contextLength: expected.context_length)
            for item in configuration.cases {
                let label = "\(configuration.name): \(item.text.debugDescription)"
                XCTAssertEqual(tokenizer.tokenize(item.text), item.tokens, label)
                XCTAssertEqual([tokenizer.classTokenID] + tokenizer.tokenIDs(item.text) + [tokenizer.separatorTokenID], item.ids, label)
                XCTAssertEqual(tokenizer.encode(item.text), item.truncated, label)
                total += 1
            }
        }
        XCTAssertGreaterThanOrEqual(expected.configurations.first?.cases.count ?? 0, 60)
        print("wordpiece parity: \(total) cases over \(expected.configurations.count) configurations")
    }

    func testFixtureExercisesUnknownTruncationAndSpecialTokens() throws {
        let uncased = try XCTUnwrap(try Self.expected().configurations.first { $0.name == "uncased" })
        XCTAssertTrue(uncased.cases.contains { $0.ids.contains(100) }, "some text should produce [UNK]")
        XCTAssertTrue(uncased.cases.contains { $0.ids.count > 52 && $0.truncated.count == 52 }, "some text should be truncated")
        XCTAssertTrue(uncased.cases.contains { $0.tokens.contains("[MASK]") }, "a special token written in the text stays whole")
    }

    func testTruncationKeepsSeparator() throws {
        let tokenizer = try WordPieceTokenizer(vocabularyFile: Self.vocabulary, contextLength: 5)
        let ids = tokenizer.encode("一二三四五六七")
        XCTAssertEqual(ids.count, 5)
        XCTAssertEqual(ids.first, tokenizer.classTokenID)
        XCTAssertEqual(ids.last, tokenizer.separatorTokenID)
        XCTAssertEqual(Array(ids[1...3]), Array(tokenizer.tokenIDs("一二三")))
    }

    func testFolderSettingsAreRead() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wordpiece-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: Self.vocabulary, to: folder.appendingPathComponent("vocab.txt"))
        let config = #"{"do_lower_case": false, "model_max_length": 8, "unk_token": {"content": "[UNK]"}}"#
        try Data(config.utf8).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        let tokenizer = try WordPieceTokenizer(directory: folder)
        XCTAssertEqual(tokenizer.contextLength, 8)
        XCTAssertFalse(tokenizer.basicTokenizer.lowercases)
        XCTAssertEqual(try WordPieceTokenizer(directory: folder, maximumContextLength: 6).contextLength, 6)
    }

    func testBadInputThrowsWithThePath() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wordpiece-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("vocab.txt")
        XCTAssertThrowsError(try WordPieceTokenizer(vocabularyFile: missing)) { error in
            XCTAssertEqual(error as? TokenizerError, .fileNotFound(path: missing.path))
        }
        try Data("[PAD]\n[UNK]\nhello\n".utf8).write(to: missing)
        XCTAssertThrowsError(try WordPieceTokenizer(vocabularyFile: missing)) { error in
            XCTAssertEqual(error as? TokenizerError, .missingSpecialToken(path: missing.path, token: "[CLS]"))
        }
        try Data([0xFF, 0xFE, 0x00]).write(to: missing)
        XCTAssertThrowsError(try WordPieceTokenizer(vocabularyFile: missing))
        try FileManager.default.copyItem(at: Self.vocabulary, to: folder.appendingPathComponent("v.txt"))
        XCTAssertThrowsError(try WordPieceTokenizer(vocabularyFile: folder.appendingPathComponent("v.txt"), contextLength: 1))
        try Data(#"{"do_lower_case": "yes"}"#.utf8).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        XCTAssertThrowsError(try WordPieceSettings(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("tokenizer_config.json"), "\(error)")
        }
        try Data(#"{"tokenizer_class": "CLIPTokenizer"}"#.utf8).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        XCTAssertThrowsError(try WordPieceSettings(directory: folder))
    }
}
