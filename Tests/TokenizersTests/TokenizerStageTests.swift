import Foundation
import XCTest
@testable import Tokenizers

/// The stage protocols: CLIP's stages composed as a pipeline, the SentencePiece reader's fields, and the
/// protobuf wire format.
final class TokenizerStageTests: XCTestCase {
    /// CLIP's normalizer, pre-tokenizer and byte-pair model, run through `TokenizerPipeline`, give the golden
    /// ids of CLIPTokenizer (strings that spell a special token are left out: the pipeline does not map them).
    func testClipStagesComposeIntoTheGoldenPipeline() throws {
        let expected = try TokenizerFixtures.load(TokenizerFixtures.ExpectedFile.self, "clip_expected.json")
        let tokenizer = try TokenizerFixtures.fullTokenizer.get().configured
        let pipeline = tokenizer.pipeline
        var compared = 0
        for testCase in expected.cases where !testCase.text.lowercased().contains("of" + "text|>") {
            XCTAssertEqual(pipeline.encode(testCase.text), testCase.ids, TokenizerFixtures.escaped(testCase.text))
            compared += 1
        }
        XCTAssertGreaterThan(compared, 140)
    }

    func testModelFileFieldsMatchTheProtobufLibrary() throws {
        for name in SentencePieceFixtures.modelNames {
            let folder = SentencePieceFixtures.folder(name)
            let expected = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as? [String: Any])
            let summary = try XCTUnwrap(expected["model"] as? [String: Any])
            let file = try SentencePieceModelFile(
                contentsOf: folder.appendingPathComponent(try XCTUnwrap(expected["model_file"] as? String)))
            let actual: [String: Any] = [
                "pieces": file.pieces.count, "model_type": file.trainer.modelType.rawValue,
                "byte_fallback": file.trainer.byteFallback, "charsmap_bytes": file.normalizer.precompiledCharsMap.count,
                "add_dummy_prefix": file.normalizer.addDummyPrefix, "normalizer": file.normalizer.name,
                "remove_extra_whitespaces": file.normalizer.removeExtraWhitespaces,
                "escape_whitespaces": file.normalizer.escapeWhitespaces, "unk_id": file.trainer.unknownID,
                "bos_id": file.trainer.beginningOfSentenceID, "eos_id": file.trainer.endOfSentenceID,
                "pad_id": file.trainer.paddingID, "piece_types": Set(file.pieces.map(\.type.rawValue)).sorted(),
            ]
            XCTAssertEqual(Set(actual.keys), Set(summary.keys), name)
            XCTAssertEqual(NSDictionary(dictionary: actual), NSDictionary(dictionary: summary), name)
        }
    }

    /// A hand-made ModelProto: negative int32 as a 10-byte varint, unknown fields of every wire type skipped.
    func testWireFormatReaderHandlesEveryWireTypeAndNegativeIDs() throws {
        func varint(_ value: UInt64) -> [UInt8] {
            var value = value, bytes: [UInt8] = []
            repeat {
                bytes.append(UInt8(value & 0x7F) | (value >= 0x80 ? 0x80 : 0))
                value >>= 7
            } while value > 0
            return bytes
        }
        func field(_ number: UInt64, _ wireType: UInt64, _ payload: [UInt8]) -> [UInt8] {
            varint(number << 3 | wireType) + payload
        }
        func message(_ number: UInt64, _ body: [UInt8]) -> [UInt8] { field(number, 2, varint(UInt64(body.count)) + body) }
        let score = Float(-2.5).bitPattern
        let piece = message(1, Array("<unk>".utf8)) + field(2, 5, (0..<4).map { UInt8(truncatingIfNeeded: score >> (8 * $0)) })
            + field(3, 0, [2]) + field(99, 1, [UInt8](repeating: 7, count: 8))
        let trainer = field(3, 0, [2]) + field(35, 0, [0]) + field(43, 0, varint(UInt64(bitPattern: -1)))
            + field(41, 0, varint(UInt64(bitPattern: -1))) + field(1, 2, varint(3) + Array("abc".utf8))
        let normalizer = message(1, Array("identity".utf8)) + field(3, 0, [0]) + field(5, 0, [1])
        let bytes = message(1, piece) + message(2, trainer) + message(3, normalizer) + message(4, [0x0A, 0x00])
        let file = try SentencePieceModelFile(bytes: bytes)
        XCTAssertEqual(file.pieces, [.init(text: "<unk>", score: -2.5, type: .unknown)])
        XCTAssertEqual(file.trainer.modelType, .bpe)
        XCTAssertEqual(file.trainer.paddingID, -1)
        XCTAssertEqual(file.trainer.beginningOfSentenceID, -1)
        XCTAssertEqual(file.normalizer.name, "identity")
        XCTAssertFalse(file.normalizer.addDummyPrefix)
        XCTAssertTrue(file.normalizer.removeExtraWhitespaces, "proto default when absent")

        XCTAssertThrowsError(try SentencePieceModelFile(bytes: field(1, 0, [5]))) { error in
            XCTAssert("\(error)".contains("wire type"))
        }
        XCTAssertThrowsError(try SentencePieceModelFile(bytes: field(7, 3, []))) { error in
            XCTAssert("\(error)".contains("groups"))
        }
        XCTAssertThrowsError(try SentencePieceModelFile(bytes: [0x48] + [UInt8](repeating: 0xFF, count: 11))) { error in
            XCTAssert("\(error)".contains("varint"))
        }
    }
}
