import Foundation
import XCTest
@testable import Tokenizers

/// Malformed `.model` and `tokenizer.json` files give one-line errors naming the file, never a crash; files
/// that still parse after corruption encode without crashing.
final class SentencePieceErrorTests: XCTestCase {
    private var directory: URL!
    private let samples = ["a photo of a cat", "Ångström café ﬁ ｶﾞ", "北京 🇫🇷 👨‍👩‍👧", "  x  y  ", "", "<s></s><unk>\u{2581}"]

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sentencepiece-errors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func modelBytes(_ name: String) throws -> [UInt8] {
        let expected = try SentencePieceFixtures.expected(name)
        return [UInt8](try Data(contentsOf: SentencePieceFixtures.folder(name).appendingPathComponent(expected.model_file)))
    }

    /// Loads `bytes` as a model file: a TokenizerError naming the file, or a model that encodes the samples.
    @discardableResult
    private func loadModel(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> Bool {
        let url = directory.appendingPathComponent("spiece.model")
        try Data(bytes).write(to: url)
        let error = tokenizerError(naming: url.path, file: file, line: line) {
            let model = try SentencePieceModel(contentsOf: url)
            for sample in samples {
                for id in model.encode(sample) {
                    XCTAssert((0..<model.vocabularySize).contains(id), "id \(id) outside the vocabulary", file: file, line: line)
                }
            }
        }
        return error == nil
    }

    func testTruncatedModelFilesFailCleanly() throws {
        for name in ["unigram-identity", "gemma-bpe"] {
            let bytes = try modelBytes(name)
            var failures = 0
            for length in Array(0..<120) + Array(stride(from: 120, to: bytes.count, by: 211)) {
                if try !loadModel(Array(bytes.prefix(length))) { failures += 1 }
            }
            XCTAssertGreaterThan(failures, 100, name)
            XCTAssertTrue(try loadModel(bytes), "the whole file loads")
        }
    }

    func testBitFlippedModelFilesNeverCrash() throws {
        for (name, rounds) in [("t5-unigram", 40), ("xlmr-unigram", 150), ("gemma-bpe", 150)] {
            let bytes = try modelBytes(name)
            var generator = FixedSeedGenerator(state: 2024)
            var failures = 0
            for _ in 0..<rounds {
                var corrupted = bytes
                for _ in 0..<4 {
                    let index = Int.random(in: 0..<corrupted.count, using: &generator)
                    corrupted[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
                }
                if try !loadModel(corrupted) { failures += 1 }
            }
            XCTAssertGreaterThan(failures, 0, "\(name): some corruption is detected")
        }
    }

    /// The charsmap's double-array trie and replacement offsets corrupted in place: lookups stay in bounds.
    func testCorruptedCharsMapTrieNeverReadsOutOfBounds() throws {
        let url = SentencePieceFixtures.folder("t5-unigram").appendingPathComponent("spiece.model")
        let file = try SentencePieceModelFile(contentsOf: url)
        XCTAssertGreaterThan(file.normalizer.precompiledCharsMap.count, 100_000)
        let blob = file.normalizer.precompiledCharsMap
        let trieEnd = 4 + (Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24)
        var generator = FixedSeedGenerator(state: 7)
        var loaded = 0
        for _ in 0..<40 {
            var corrupted = file
            // Only the trie's units: the replacement strings must stay UTF-8 for the model to load.
            for _ in 0..<2000 {
                let index = Int.random(in: 4..<trieEnd, using: &generator)
                corrupted.normalizer.precompiledCharsMap[index] = UInt8.random(in: 0...255, using: &generator)
            }
            guard let model = try? SentencePieceModel(file: corrupted, path: url.path) else { continue }
            loaded += 1
            for sample in samples { _ = model.encode(sample) }
            let json = PrecompiledNormalizer(charsMap: try XCTUnwrap(model.normalizer.charsMap))
            for sample in samples { _ = json.normalize(Array(sample.utf8)) }
        }
        XCTAssertEqual(loaded, 40)
    }

    func testModelErrorsNameTheProblem() throws {
        func error(_ bytes: [UInt8]) -> String {
            let url = directory.appendingPathComponent("bad.model")
            try? Data(bytes).write(to: url)
            do {
                _ = try SentencePieceModel(contentsOf: url)
                return ""
            } catch {
                return "\(error)"
            }
        }
        XCTAssert(error([]).contains("no pieces"))
        XCTAssert(error(Array("{\"model\": 1}".utf8)).contains("malformed tokenizer model"))
        XCTAssert(error([0x0A, 0x05, 0x0A, 0x03, 0x61]).contains("runs past the end"))
        // A piece of type BYTE without byte_fallback, and a model without an unknown piece.
        let bytePiece: [UInt8] = [0x0A, 0x0A, 0x0A, 0x06] + Array("<0x41>".utf8) + [0x18, 0x06]
        XCTAssert(error(bytePiece).contains("byte_fallback is off"))
        let normalPiece: [UInt8] = [0x0A, 0x03, 0x0A, 0x01, 0x61]
        XCTAssert(error(normalPiece).contains("no unknown piece"))
        let absent = directory.appendingPathComponent("absent.model")
        XCTAssertThrowsError(try SentencePieceModel(contentsOf: absent)) { error in
            XCTAssertEqual(error as? TokenizerError, .fileNotFound(path: absent.path))
        }
    }
}
