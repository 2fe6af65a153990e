import Foundation
import XCTest
@testable import Tokenizers

/// `tokenizer.json` files (transformers' conversions of the trained models) against tokenizers 0.20.3.
final class HuggingFaceTokenizerTests: XCTestCase {
    func testEveryConvertedModelMatchesTokenizersOnEveryString() throws {
        let strings = try SentencePieceFixtures.strings.get()
        var checked = 0
        for name in SentencePieceFixtures.modelNames {
            let expected = try SentencePieceFixtures.expected(name)
            guard expected.fast_class != nil else { continue }
            let tokenizer = try HuggingFaceTokenizer(
                contentsOf: SentencePieceFixtures.folder(name).appendingPathComponent("tokenizer.json"))
            let references = try expected.cases.map { try XCTUnwrap($0.hf) }
            let matched = SentencePieceFixtures.compare(name, strings: strings, expected: references) {
                tokenizer.encode($0)
            }
            XCTAssertEqual(matched, strings.count, name)
            checked += 1
        }
        XCTAssertEqual(checked, 4)
    }

    /// A Metaspace pre-tokenizer with `prepend_scheme: "first"` and no split (transformers' non-legacy Llama).
    func testPrependSchemeFirstMatchesTokenizers() throws {
        let strings = try SentencePieceFixtures.strings.get()
        let tokenizer = try HuggingFaceTokenizer(
            contentsOf: SentencePieceFixtures.folder("llama-bpe").appendingPathComponent("tokenizer-nonlegacy.json"))
        let references = try SentencePieceFixtures.expected("llama-bpe").cases.map { try XCTUnwrap($0.hf_nonlegacy) }
        XCTAssertEqual(SentencePieceFixtures.compare("llama non-legacy (fast)", strings: strings, expected: references) {
            tokenizer.encode($0)
        }, strings.count)
    }
}
