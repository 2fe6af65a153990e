import Foundation
import XCTest
@testable import Tokenizers

/// `TokenizerFolder.load` picks the tokenizer from a folder's files and frames/pads as the processors do.
final class TokenizerFolderTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func copy(_ name: String, from model: String, as target: String? = nil) throws {
        try FileManager.default.copyItem(at: SentencePieceFixtures.folder(model).appendingPathComponent(name),
                                         to: directory.appendingPathComponent(target ?? name))
    }

    private func write(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
    }

    private func loadError(file: StaticString = #filePath, line: UInt = #line) -> TokenizerError? {
        let error = tokenizerError(naming: directory.path, file: file, line: line) {
            _ = try TokenizerFolder.load(directory: directory)
        }
        XCTAssertNotNil(error, "expected an error", file: file, line: line)
        return error
    }

    func testEachFixtureFolderLoadsTheTokenizerItsFilesDescribe() throws {
        let strings = try SentencePieceFixtures.strings.get()
        for name in SentencePieceFixtures.modelNames {
            let expected = try SentencePieceFixtures.expected(name)
            let tokenizer = try TokenizerFolder.load(directory: SentencePieceFixtures.folder(name))
            // A folder with tokenizer.json is read as transformers' fast tokenizer; SigLIP's through spiece.model.
            let references = expected.fast_class == nil ? expected.cases.map(\.slowOrFast) : expected.cases.compactMap(\.hf)
            XCTAssert(expected.fast_class == nil ? tokenizer is SentencePieceTokenizer : tokenizer is HuggingFaceTokenizer)
            SentencePieceFixtures.compare(name, strings: strings, expected: references) { tokenizer.encode($0) }
        }
    }

    func testSiglipFolderPadsToSixtyFourWithTheEndToken() throws {
        let tokenizer = try TokenizerFolder.load(directory: SentencePieceFixtures.folder("t5-unigram"))
        XCTAssertEqual(tokenizer.contextLength, 64)
        let ids = tokenizer.encode("a photo of a cat")
        XCTAssertEqual(ids.count, 64)
        XCTAssertEqual(tokenizer.paddingID, 1)
        XCTAssertEqual(ids.last, 1)
    }

    /// SigLIP 2: a Gemma tokenizer.json, lower-cased first (transformers' Siglip2Tokenizer), padded with <pad>
    /// and truncated to 64 (Siglip2Processor's defaults).
    func testSiglip2FolderLowercasesAndPadsLikeItsProcessor() throws {
        try copy("tokenizer.json", from: "gemma-bpe")
        try copy("tokenizer_config.json", from: "gemma-bpe")
        try write("{\"model_type\": \"siglip2\"}", to: "config.json")
        let tokenizer = try TokenizerFolder.load(directory: directory)
        XCTAssertEqual(tokenizer.paddingID, 0)
        let strings = try SentencePieceFixtures.strings.get()
        let references = try SentencePieceFixtures.expected("gemma-bpe").cases.map { try XCTUnwrap($0.siglip2) }
        let matched = SentencePieceFixtures.compare("siglip2", strings: strings, expected: references) {
            tokenizer.encode($0)
        }
        XCTAssertEqual(matched, strings.count)
    }

    func testXLMRobertaModelFileWithoutTokenizerJSONUsesFairseqIDs() throws {
        try copy("sentencepiece.bpe.model", from: "xlmr-unigram")
        try copy("tokenizer_config.json", from: "xlmr-unigram")
        let tokenizer = try TokenizerFolder.load(directory: directory)
        let strings = try SentencePieceFixtures.strings.get()
        let references = try SentencePieceFixtures.expected("xlmr-unigram").cases.map(\.slowOrFast)
        XCTAssertEqual(SentencePieceFixtures.compare("xlmr", strings: strings, expected: references) {
            tokenizer.encode($0)
        }, strings.count)
        XCTAssertEqual(tokenizer.encode("").first, 0, "<s> is 0 in fairseq's numbering")
    }

    func testClipAndWordPieceFoldersStillLoad() throws {
        let clip = TokenizerFixtures.smallVocabulary
        let loaded = try TokenizerFolder.load(directory: clip)
        XCTAssertEqual(loaded.encode("a photo of a cat"), try CLIPTokenizer(directory: clip).encode("a photo of a cat"))
        try FileManager.default.copyItem(
            at: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/chinese-clip/vocab/vocab.txt"),
            to: directory.appendingPathComponent("vocab.txt"))
        XCTAssert(try TokenizerFolder.load(directory: directory) is WordPieceTokenizer)
    }

    func testMissingSpiecemodelInASiglipFolderNamesTheFile() throws {
        try write("{\"model_type\": \"siglip\"}", to: "config.json")
        XCTAssertEqual(loadError(), .fileNotFound(path: directory.appendingPathComponent("spiece.model").path))
        try write("{\"tokenizer_class\": \"SiglipTokenizer\"}", to: "tokenizer_config.json")
        XCTAssertEqual(loadError(), .fileNotFound(path: directory.appendingPathComponent("spiece.model").path))
    }

    func testEmptyFolderAndMissingFolderAreOneLineErrors() throws {
        guard case .fileNotFound(let path)? = loadError() else { return XCTFail("expected fileNotFound") }
        XCTAssert(path.contains("tokenizer.json"))
        let missing = directory.appendingPathComponent("absent")
        XCTAssertThrowsError(try TokenizerFolder.load(directory: missing)) { error in
            XCTAssertEqual(error as? TokenizerError, .fileNotFound(path: missing.path))
        }
    }

    func testMaximumLengthCapsTheConfiguredLength() throws {
        let tokenizer = try TokenizerFolder.load(directory: SentencePieceFixtures.folder("xlmr-unigram"), maximumLength: 8)
        let ids = tokenizer.encode(String(repeating: "word ", count: 40))
        XCTAssertEqual(ids.count, 8)
        XCTAssertEqual(ids.first, 0)
        XCTAssertEqual(ids.last, 2, "the end token survives truncation")
    }
}
