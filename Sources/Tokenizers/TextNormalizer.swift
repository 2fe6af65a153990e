/// CLIP's text cleaning, `whitespace_clean(basic_clean(text)).lower()` from OpenAI's tokenizer:
/// 1. `ftfy.fix_text` (default configuration) for text without mojibake: HTML entities (only when the
///    line has no `<`), C1 controls as Windows-1252, Latin ligatures, full/half-width forms, curly
///    quotes, line breaks, terminal escapes, control characters, NFC — repeated until nothing changes;
/// 2. `html.unescape` twice, then `strip()`;
/// 3. runs of whitespace → one space, `strip()`; 4. Python's `str.lower()`.
/// ftfy's mojibake repair (re-decoding text that went through the wrong encoding) is not reproduced.
public struct TextNormalizer: Sendable {
    public init() {}

    public func normalize(_ text: String) -> String {
        String(String.UnicodeScalarView(normalizedScalars(text)))
    }

    func normalizedScalars(_ text: String) -> [Unicode.Scalar] {
        var scalars = Self.fixText(Array(text.unicodeScalars))
        scalars = HTMLUnescaper.pythonUnescape(HTMLUnescaper.pythonUnescape(scalars))
        scalars = Self.collapseWhitespace(scalars)
        return CharacterTables.pythonLowercased(scalars)
    }

    // MARK: ftfy.fix_text

    /// ftfy processes each line (up to and including its `\n`) separately; once a line contains `<`,
    /// HTML unescaping stays off for the rest of the text.
    static func fixText(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        var unescapesHTML = true
        var lineStart = 0
        while lineStart < scalars.count {
            var lineEnd = lineStart
            while lineEnd < scalars.count, scalars[lineEnd] != "\n" { lineEnd += 1 }
            lineEnd = min(lineEnd + 1, scalars.count)
            let line = Array(scalars[lineStart..<lineEnd])
            if unescapesHTML, line.contains("<") { unescapesHTML = false }
            output.append(contentsOf: fixSegment(line, unescapesHTML: unescapesHTML))
            lineStart = lineEnd
        }
        return output
    }

    /// ftfy's `fix_and_explain` loop: apply every fixer in ftfy's order until a pass changes nothing.
    private static func fixSegment(_ segment: [Unicode.Scalar], unescapesHTML: Bool) -> [Unicode.Scalar] {
        var text = segment
        while true {
            let original = text
            if unescapesHTML { text = HTMLUnescaper.ftfyUnescape(text) }
            text = fixC1Controls(text)
            text = fixLatinLigatures(text)
            text = fixCharacterWidth(text)
            text = uncurlQuotes(text)
            text = fixLineBreaks(text)
            text = removeTerminalEscapes(text)
            text = removeControlCharacters(text)
            text = CharacterTables.canonicallyComposed(text)
            if text == original { return text }
        }
    }

    static func fixC1Controls(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        text.map { (0x80...0x9F).contains($0.value) ? CharacterTables.windows1252C1[Int($0.value - 0x80)] : $0 }
    }

    static func fixLatinLigatures(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        translate(text, CharacterTables.latinLigatures, firstMapped: 0x132)
    }

    static func fixCharacterWidth(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        translate(text, CharacterTables.widthMap, firstMapped: 0x3000)
    }

    private static func translate(
        _ text: [Unicode.Scalar], _ table: [Unicode.Scalar: [Unicode.Scalar]], firstMapped: UInt32
    ) -> [Unicode.Scalar] {
        guard text.contains(where: { $0.value >= firstMapped }) else { return text }
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(text.count)
        for scalar in text {
            if scalar.value >= firstMapped, let replacement = table[scalar] {
                output.append(contentsOf: replacement)
            } else {
                output.append(scalar)
            }
        }
        return output
    }

    /// U+02BC and U+2018–U+201B → `'`; U+201C–U+201F → `"`.
    static func uncurlQuotes(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        text.map { scalar in
            switch scalar.value {
            case 0x2BC, 0x2018...0x201B: return "'"
            case 0x201C...0x201F: return "\""
            default: return scalar
            }
        }
    }

    /// CRLF, CR, U+2028, U+2029 and U+0085 → `\n`.
    static func fixLineBreaks(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            switch text[index] {
            case "\r":
                output.append("\n")
                if index + 1 < text.count, text[index + 1] == "\n" { index += 1 }
            case "\u{2028}", "\u{2029}", "\u{85}":
                output.append("\n")
            default:
                output.append(text[index])
            }
            index += 1
        }
        return output
    }

    /// Removes `ESC [ (\d|;)* [a-zA-Z]`, where `\d` is any Unicode decimal digit as in Python's `re`.
    static func removeTerminalEscapes(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("\u{1B}") else { return text }
        var output: [Unicode.Scalar] = []
        var index = 0
        while index < text.count {
            if text[index] == "\u{1B}", index + 1 < text.count, text[index + 1] == "[" {
                var end = index + 2
                while end < text.count,
                      text[end] == ";" || text[end].properties.generalCategory == .decimalNumber {
                    end += 1
                }
                if end < text.count, isASCIILetter(text[end]) {
                    index = end + 1
                    continue
                }
            }
            output.append(text[index])
            index += 1
        }
        return output
    }

    static func removeControlCharacters(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        text.filter { !CharacterTables.isRemovedControl($0) }
    }

    // MARK: Whitespace

    /// `" ".join(text.split())`: Python whitespace runs become one space, ends trimmed.
    static func collapseWhitespace(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(text.count)
        var pendingSpace = false
        for scalar in text {
            if CharacterTables.isPythonWhitespace(scalar) {
                pendingSpace = !output.isEmpty
            } else {
                if pendingSpace { output.append(" ") }
                pendingSpace = false
                output.append(scalar)
            }
        }
        return output
    }

    private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        (0x41...0x5A).contains(scalar.value) || (0x61...0x7A).contains(scalar.value)
    }
}

/// String-level entry points to the individual stages, for tests and diagnostics.
extension TextNormalizer {
    public enum Stage: String, CaseIterable, Sendable {
        case ftfyUnescapeHTML, fixC1Controls, fixLatinLigatures, fixCharacterWidth, uncurlQuotes
        case fixLineBreaks, removeTerminalEscapes, removeControlCharacters, fixText, htmlUnescape
        case whitespaceClean, lowercase
    }

    public static func apply(_ stage: Stage, to text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        let result: [Unicode.Scalar]
        switch stage {
        case .ftfyUnescapeHTML: result = HTMLUnescaper.ftfyUnescape(scalars)
        case .fixC1Controls: result = fixC1Controls(scalars)
        case .fixLatinLigatures: result = fixLatinLigatures(scalars)
        case .fixCharacterWidth: result = fixCharacterWidth(scalars)
        case .uncurlQuotes: result = uncurlQuotes(scalars)
        case .fixLineBreaks: result = fixLineBreaks(scalars)
        case .removeTerminalEscapes: result = removeTerminalEscapes(scalars)
        case .removeControlCharacters: result = removeControlCharacters(scalars)
        case .fixText: result = fixText(scalars)
        case .htmlUnescape: result = HTMLUnescaper.pythonUnescape(scalars)
        case .whitespaceClean: result = collapseWhitespace(scalars)
        case .lowercase: result = CharacterTables.pythonLowercased(scalars)
        }
        return String(String.UnicodeScalarView(result))
    }
}
