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

/// Genuine vocabularies shipped in PyPI wheels (scripts/fetch-sentencepiece-vocabularies.sh); skipped when absent.
final class GenuineVocabularyTests: XCTestCase {
    private func check(_ name: String) throws {
        let genuine = try SentencePieceFixtures.genuine()
        let entry = try XCTUnwrap(genuine.models[name])
        let url = SentencePieceFixtures.directory.appendingPathComponent(entry.file)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) is absent: run scripts/fetch-sentencepiece-vocabularies.sh")
        }
        let model = try SentencePieceModel(contentsOf: url)
        let strings = try SentencePieceFixtures.strings.get()
        let matched = SentencePieceFixtures.compare(name, strings: strings, expected: entry.cases.map(\.spm)) {
            model.encode($0)
        }
        XCTAssertEqual(matched, strings.count)
    }

    /// Mistral 7B's 32000-piece BPE vocabulary with byte fallback (mistral-common's tokenizer.model.v1).
    func testMistralBytePairVocabulary() throws { try check("mistral-bpe") }

    /// A T5-layout unigram model with the full nmt_nfkc table (seqio's test vocabulary).
    func testSeqioUnigramVocabulary() throws { try check("seqio-unigram") }
}

/// `.model` files with their tokenizer_config.json against transformers' slow tokenizers (SigLIP's with
/// padding="max_length", truncation, max_length=64; T5, XLM-RoBERTa with fairseq ids, Gemma, Llama).
final class SentencePieceTokenizerTests: XCTestCase {
    func testEveryModelMatchesTransformersSlowTokenizerOnEveryString() throws {
        let strings = try SentencePieceFixtures.strings.get()
        for name in SentencePieceFixtures.modelNames {
            let expected = try SentencePieceFixtures.expected(name)
            let folder = SentencePieceFixtures.folder(name)
            let tokenizer = try SentencePieceTokenizer(
                modelFile: folder.appendingPathComponent(expected.model_file),
                configuration: TokenizerConfiguration(contentsOf: folder.appendingPathComponent("tokenizer_config.json")))
            let matched = SentencePieceFixtures.compare("\(name) (\(expected.slow_class))", strings: strings,
                                                        expected: expected.cases.map(\.slowOrFast)) {
                tokenizer.encode($0)
            }
            XCTAssertEqual(matched, strings.count, name)
        }
    }

    /// transformers' non-legacy Llama tokenizer (legacy=False, add_prefix_space=True): "▁" prepended once,
    /// SentencePiece's dummy prefix off, chunks after a special token encoded after "<unk>" (then dropped).
    func testNonLegacyLlamaMatchesTransformers() throws {
        let strings = try SentencePieceFixtures.strings.get()
        let folder = SentencePieceFixtures.folder("llama-bpe")
        let cases = try SentencePieceFixtures.expected("llama-bpe").cases
        var configuration = try TokenizerConfiguration(contentsOf: folder.appendingPathComponent("tokenizer_config.json"))
        configuration.legacy = false
        configuration.addsPrefixSpace = true
        let tokenizer = try SentencePieceTokenizer(modelFile: folder.appendingPathComponent("tokenizer.model"),
                                                   configuration: configuration)
        let references = try cases.map { try XCTUnwrap($0.slow_nonlegacy ?? $0.hf_nonlegacy) }
        XCTAssertEqual(SentencePieceFixtures.compare("llama non-legacy (slow)", strings: strings, expected: references) {
            tokenizer.encode($0)
        }, strings.count)
    }
}
