import Foundation
import XCTest
@testable import Tokenizers

/// Bad files must surface as `TokenizerError`s naming the file, never as crashes.
final class TokenizerErrorTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tokenizer-errors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A valid vocabulary built from the byte symbols, with optional extra entries and merges.
    private func writeVocabulary(extra: [String] = [], special: [String] = ["<|startoftext|>", "<|endoftext|>"],
                                 merges: [String] = ["i n"]) throws {
        let symbols = (0...255).map { ByteLevelEncoding.symbol(forByte: UInt8($0)) }
        let tokens = symbols + symbols.map { $0 + "</w>" } + ["in"] + extra + special
        var vocabulary: [String: Int] = [:]
        for (id, token) in tokens.enumerated() { vocabulary[token] = id }
        try JSONSerialization.data(withJSONObject: vocabulary).write(to: directory.appendingPathComponent("vocab.json"))
        try ("#version: 0.2\n" + merges.joined(separator: "\n") + "\n")
            .write(to: directory.appendingPathComponent("merges.txt"), atomically: true, encoding: .utf8)
    }

    private func loadError() -> TokenizerError? {
        do {
            _ = try CLIPTokenizer(directory: directory)
            return nil
        } catch let error as TokenizerError {
            XCTAssertFalse(error.description.contains("\n"), "messages are one line")
            return error
        } catch {
            XCTFail("unexpected error type \(error)")
            return nil
        }
    }

    func testValidMinimalVocabularyLoadsAndSplitsUnmergedWordsIntoBytes() throws {
        try writeVocabulary()
        let tokenizer = try CLIPTokenizer(directory: directory)
        XCTAssertEqual(tokenizer.contextLength, 77)
        // Ids by construction: byte b → b, byte b + "</w>" → 256 + b, "in" → 512, specials 513 and 514.
        // "inn": i n n</w> → the (i, n) merge applies; "in": i n</w> has no merge, so it stays as bytes.
        let i = Int(UInt8(ascii: "i")), n = Int(UInt8(ascii: "n"))
        let ids = tokenizer.encode("INN in")
        XCTAssertEqual(ids, [513, 512, 256 + n, i, 256 + n, 514])
        XCTAssertEqual(tokenizer.decode(ids), "<|startoftext|>inn in <|endoftext|>")
    }

    func testMissingVocabularyFile() throws {
        try writeVocabulary()
        try FileManager.default.removeItem(at: directory.appendingPathComponent("vocab.json"))
        let path = directory.appendingPathComponent("vocab.json").path
        XCTAssertEqual(loadError(), .fileNotFound(path: path))
        XCTAssertTrue(loadError()?.description.contains(path) ?? false)
    }

    func testMissingMergesFile() throws {
        try writeVocabulary()
        try FileManager.default.removeItem(at: directory.appendingPathComponent("merges.txt"))
        XCTAssertEqual(loadError(), .fileNotFound(path: directory.appendingPathComponent("merges.txt").path))
    }

    func testMalformedVocabularyJSON() throws {
        try writeVocabulary()
        try Data("{\"a\": 1, \"b\" 2}".utf8).write(to: directory.appendingPathComponent("vocab.json"))
        guard case .malformedJSON(let path, let offset, _)? = loadError() else {
            return XCTFail("expected malformedJSON")
        }
        XCTAssertEqual(path, directory.appendingPathComponent("vocab.json").path)
        XCTAssertEqual(offset, 13)  // the '2' where ':' was expected
    }

    func testVocabularyWithNonIntegerValue() throws {
        try Data("{\"a\": \"x\"}".utf8).write(to: directory.appendingPathComponent("vocab.json"))
        guard case .malformedJSON? = loadError() else { return XCTFail("expected malformedJSON") }
    }

    func testMalformedMergesLine() throws {
        try writeVocabulary(merges: ["i n", "three parts here"])
        guard case .malformedMerges(_, let line, _)? = loadError() else { return XCTFail("expected malformedMerges") }
        XCTAssertEqual(line, 3)
    }

    func testMergeReferencingUnknownToken() throws {
        try writeVocabulary(merges: ["i n", "in q"])
        XCTAssertEqual(loadError(), .unknownMergeToken(
            path: directory.appendingPathComponent("merges.txt").path, line: 3, token: "inq"))
    }

    func testMissingSpecialTokens() throws {
        try writeVocabulary(special: ["<|startoftext|>"])
        XCTAssertEqual(loadError(), .missingSpecialToken(
            path: directory.appendingPathComponent("vocab.json").path, token: "<|endoftext|>"))
    }

    func testMissingByteSymbol() throws {
        try writeVocabulary()
        let url = directory.appendingPathComponent("vocab.json")
        var vocabulary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Int])
        vocabulary["a</w>"] = nil
        try JSONSerialization.data(withJSONObject: vocabulary).write(to: url)
        guard case .missingToken(_, let token, _)? = loadError() else { return XCTFail("expected missingToken") }
        XCTAssertEqual(token, "a</w>")
    }

    func testInvalidTokenizerConfiguration() throws {
        try writeVocabulary()
        try Data("{\"model_max_length\": \"long\"}".utf8)
            .write(to: directory.appendingPathComponent("tokenizer_config.json"))
        guard case .invalidConfiguration? = loadError() else { return XCTFail("expected invalidConfiguration") }
        try Data("{\"model_max_length\": 16}".utf8).write(to: directory.appendingPathComponent("tokenizer_config.json"))
        XCTAssertEqual(try CLIPTokenizer(directory: directory).contextLength, 16)
    }
}
