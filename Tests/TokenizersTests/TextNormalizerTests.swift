import XCTest
@testable import Tokenizers

/// Each ftfy / html / whitespace stage against the output of the Python function it reproduces.
final class TextNormalizerTests: XCTestCase {
    private static let stageKeys: [(TextNormalizer.Stage, String)] = [
        (.ftfyUnescapeHTML, "unescape_html"), (.fixC1Controls, "fix_c1_controls"),
        (.fixLatinLigatures, "fix_latin_ligatures"), (.fixCharacterWidth, "fix_character_width"),
        (.uncurlQuotes, "uncurl_quotes"), (.fixLineBreaks, "fix_line_breaks"),
        (.removeTerminalEscapes, "remove_terminal_escapes"), (.removeControlCharacters, "remove_control_chars"),
        (.fixText, "fix_text"), (.htmlUnescape, "html_unescape"), (.whitespaceClean, "whitespace_clean"),
        (.lowercase, "lower"),
    ]

    func testEveryStageMatchesPython() throws {
        let file = try TokenizerFixtures.load(TokenizerFixtures.NormalizerFile.self, "normalizer_expected.json")
        XCTAssertFalse(file.cases.isEmpty)
        var mismatches: [String] = []
        var changedByStage: [String: Int] = [:]
        for testCase in file.cases {
            guard let input = testCase["input"] else {
                XCTFail("fixture case without input")
                continue
            }
            for (stage, key) in Self.stageKeys {
                guard let expected = testCase[key] else {
                    XCTFail("fixture case lacks \(key)")
                    continue
                }
                if !TokenizerFixtures.sameScalars(expected, input) { changedByStage[key, default: 0] += 1 }
                let actual = TextNormalizer.apply(stage, to: input)
                if !TokenizerFixtures.sameScalars(actual, expected) {
                    mismatches.append("\(key)(\"\(TokenizerFixtures.escaped(input))\"): got \""
                        + "\(TokenizerFixtures.escaped(actual))\", expected \"\(TokenizerFixtures.escaped(expected))\"")
                }
            }
            if let clean = testCase["clean"],
               !TokenizerFixtures.sameScalars(TextNormalizer().normalize(input), clean) {
                mismatches.append("clean(\"\(TokenizerFixtures.escaped(input))\")")
            }
        }
        XCTAssert(mismatches.isEmpty, mismatches.joined(separator: "\n"))
        // Guard against a vacuous fixture: every stage must change at least one input.
        for (_, key) in Self.stageKeys {
            XCTAssertGreaterThan(changedByStage[key, default: 0], 0, "no fixture input exercises \(key)")
        }
    }

    func testPreTokenizerSkipsWhitespaceAndKeepsContractions() {
        // Structural facts of the pattern (no ids involved): first alternative wins at each position.
        let words = PreTokenizer().split("don't 3.5 a\u{345}b <|endoftext|>!!")
        XCTAssertEqual(words, ["don", "'t", "3", ".", "5", "a", "b", "<|endoftext|>", "!!"])
    }
}
