import Foundation
import XCTest
@testable import Tokenizers

/// The `.model` reader, normalizer and unigram/BPE models against `SentencePieceProcessor.encode`.
final class SentencePieceModelTests: XCTestCase {
    func testEveryTrainedModelMatchesSentencePieceOnEveryString() throws {
        let strings = try SentencePieceFixtures.strings.get()
        for name in SentencePieceFixtures.modelNames {
            let expected = try SentencePieceFixtures.expected(name)
            let model = try SentencePieceModel(
                contentsOf: SentencePieceFixtures.folder(name).appendingPathComponent(expected.model_file))
            let matched = SentencePieceFixtures.compare(name, strings: strings, expected: expected.cases.map(\.spm)) {
                model.encode($0)
            }
            XCTAssertEqual(matched, strings.count, name)
        }
    }
}
