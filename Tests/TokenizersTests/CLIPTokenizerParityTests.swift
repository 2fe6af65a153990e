import Foundation
import XCTest
@testable import Tokenizers

final class CLIPTokenizerParityTests: XCTestCase {
    func testFullVocabularyMatchesOpenCLIPOnEveryString() throws {
        let expected = try TokenizerFixtures.load(TokenizerFixtures.ExpectedFile.self, "clip_expected.json")
        let tokenizers = try TokenizerFixtures.fullTokenizer.get()
        XCTAssertGreaterThanOrEqual(expected.cases.count, 80)
        XCTAssertEqual(tokenizers.configured.contextLength, expected.context_length)
        assertParity(expected.cases, tokenizers)
    }

    func testSmallVocabularyMatchesReferenceOnEveryString() throws {
        let expected = try TokenizerFixtures.load(TokenizerFixtures.ExpectedFile.self, "clip_small_expected.json")
        let tokenizers = try TokenizerFixtures.smallTokenizer.get()
        XCTAssertEqual(tokenizers.configured.contextLength, expected.context_length)
        XCTAssertEqual(tokenizers.configured.vocabularySize, 512 + 1000 + 2)
        assertParity(expected.cases, tokenizers)
    }

    private func assertParity(_ cases: [TokenizerFixtures.Case], _ tokenizers: CLIPTokenizerPair) {
        var mismatches: [String] = []
        let normalizer = TextNormalizer()
        let preTokenizer = PreTokenizer()
        for testCase in cases {
            let label = TokenizerFixtures.escaped(testCase.text)
            let normalized = normalizer.normalize(testCase.text)
            if !TokenizerFixtures.sameScalars(normalized, testCase.normalized) {
                mismatches.append("normalized \"\(label)\": got \"\(TokenizerFixtures.escaped(normalized))\", "
                    + "expected \"\(TokenizerFixtures.escaped(testCase.normalized))\"")
            }
            let words = preTokenizer.split(testCase.normalized)
            if !words.elementsEqual(testCase.words, by: TokenizerFixtures.sameScalars) {
                mismatches.append("words \"\(label)\": got \(words.map(TokenizerFixtures.escaped)), "
                    + "expected \(testCase.words.map(TokenizerFixtures.escaped))")
            }
            let full = tokenizers.unlimited.encode(testCase.text)
            if full != testCase.ids {
                mismatches.append("ids \"\(label)\": got \(full), expected \(testCase.ids)")
            }
            let truncated = tokenizers.configured.encode(testCase.text)
            if truncated != testCase.truncated {
                mismatches.append("truncated \"\(label)\": got \(truncated), expected \(testCase.truncated)")
            }
            let decoded = tokenizers.configured.decode(Array(testCase.ids.dropFirst().dropLast()))
            if !TokenizerFixtures.sameScalars(decoded, testCase.decoded) {
                mismatches.append("decoded \"\(label)\": got \"\(TokenizerFixtures.escaped(decoded))\"")
            }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) mismatches:\n" + mismatches.joined(separator: "\n"))
    }

    func testSpecialTokenIdsAndVocabularySize() throws {
        let tokenizer = try TokenizerFixtures.fullTokenizer.get().configured
        XCTAssertEqual(tokenizer.vocabularySize, 49408)
        XCTAssertEqual(tokenizer.startTokenID, 49406)
        XCTAssertEqual(tokenizer.endTokenID, 49407)
        XCTAssertEqual(tokenizer.encode(""), [49406, 49407])
    }

    func testBatchEqualsIndividualEncodingsAndTruncationKeepsEndToken() throws {
        let expected = try TokenizerFixtures.load(TokenizerFixtures.ExpectedFile.self, "clip_expected.json")
        let tokenizer = try TokenizerFixtures.fullTokenizer.get().configured
        let texts = expected.cases.map(\.text)
        XCTAssertEqual(tokenizer.encodeBatch(texts), expected.cases.map(\.truncated))
        let longCases = expected.cases.filter { $0.ids.count > 77 }
        XCTAssertFalse(longCases.isEmpty, "fixture must contain texts longer than the context")
        for testCase in longCases {
            let ids = tokenizer.encode(testCase.text)
            XCTAssertEqual(ids.count, 77)
            XCTAssertEqual(ids.last, tokenizer.endTokenID)
        }
    }

    func testConcurrentEncodingGivesSameIds() throws {
        let tokenizer = try TokenizerFixtures.smallTokenizer.get().unlimited
        let cases = try TokenizerFixtures.load(TokenizerFixtures.ExpectedFile.self, "clip_small_expected.json").cases
        let failures = FailureCounter()
        DispatchQueue.concurrentPerform(iterations: cases.count * 4) { index in
            let testCase = cases[index % cases.count]
            if tokenizer.encode(testCase.text) != testCase.ids { failures.increment() }
        }
        XCTAssertEqual(failures.value, 0)
    }
}

private final class FailureCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
