/// tokenizers' `Metaspace`: spaces become the replacement character (U+2581), which is also put in front of
/// the text (`prepend_scheme` "always", or "first": only at the very start of the input, not after an added
/// token; never when the text already starts with it), then the text is cut before each replacement.
public struct MetaspacePreTokenizer: PreTokenizing {
    public enum PrependScheme: String, Sendable { case always, first, never }

    public let replacement: [UInt8]
    public let prependScheme: PrependScheme
    public let splits: Bool

    public init(replacement: Character = "\u{2581}", prependScheme: PrependScheme = .always, splits: Bool = true) {
        self.replacement = Array(String(replacement).utf8)
        self.prependScheme = prependScheme
        self.splits = splits
    }

    public func split(_ text: [UInt8], isFirstSegment: Bool) -> [[UInt8]] {
        var replaced: [UInt8] = []
        replaced.reserveCapacity(text.count + replacement.count * 4)
        let startsWithReplacement = text.starts(with: replacement)
            || (text.first == UInt8(ascii: " ") && !replacement.isEmpty)
        switch prependScheme {
        case .always where !startsWithReplacement: replaced += replacement
        case .first where !startsWithReplacement && isFirstSegment: replaced += replacement
        default: break
        }
        for byte in text {
            if byte == UInt8(ascii: " ") { replaced += replacement } else { replaced.append(byte) }
        }
        guard splits else { return [replaced] }
        let pattern = TextPattern.literal(replacement)
        return SplitBehavior.mergedWithNext.split(pattern.pieces(of: replaced)).map { Array(replaced[$0]) }
    }
}

/// tokenizers' `Split`: cut at each match of a pattern (or between matches, `invert`), keeping or dropping
/// the delimiters as `behavior` says.
struct SplitPreTokenizer: PreTokenizing {
    let pattern: TextPattern
    let behavior: SplitBehavior
    let inverted: Bool

    func split(_ text: [UInt8], isFirstSegment: Bool) -> [[UInt8]] {
        behavior.split(pattern.pieces(of: text, inverted: inverted)).map { Array(text[$0]) }
    }
}

/// tokenizers' `WhitespaceSplit` (cut on Unicode whitespace, which is dropped) and `Whitespace`
/// (`\w+|[^\w\s]+`: runs of word characters and runs of other non-space characters).
struct WhitespacePreTokenizer: PreTokenizing {
    let separatesPunctuation: Bool

    func split(_ text: [UInt8], isFirstSegment: Bool) -> [[UInt8]] {
        enum Kind { case space, word, other }
        var words: [[UInt8]] = []
        var current: [UInt8] = []
        var currentKind = Kind.space
        for scalar in String(decoding: text, as: UTF8.self).unicodeScalars {
            let kind: Kind = scalar.properties.isWhitespace ? .space
                : (!separatesPunctuation || UnicodeClasses.isWordCharacter(scalar)) ? .word : .other
            if kind != currentKind, !current.isEmpty {
                words.append(current)
                current.removeAll(keepingCapacity: true)
            }
            currentKind = kind
            if kind != .space { UTF8.encode(scalar) { current.append($0) } }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}

/// Character classes of Rust's `regex` crate, which tokenizers uses.
enum UnicodeClasses {
    /// `\w`: alphabetic, decimal digits, marks, connector punctuation, join controls.
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 {
            let value = scalar.value
            return (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value)
                || value == 0x5F
        }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .decimalNumber, .nonspacingMark, .spacingMark, .enclosingMark, .connectorPunctuation: return true
        default: return false
        }
    }
}
