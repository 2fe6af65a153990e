/// Splits normalized text into words the way CLIP's pattern does with Python's `regex` module:
/// `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
/// (IGNORECASE), scanning Unicode scalars. At each position the first alternative that matches wins;
/// positions no alternative matches (whitespace) are skipped, as `findall` does.
public struct PreTokenizer: Sendable {
    public static let startOfTextToken = "<|startoftext|>"
    public static let endOfTextToken = "<|endoftext|>"

    private static let specialTokens: [[Unicode.Scalar]] = [
        Array(startOfTextToken.unicodeScalars), Array(endOfTextToken.unicodeScalars),
    ]
    private static let contractionSuffixes: [[Unicode.Scalar]] = ["s", "t", "re", "ve", "m", "ll", "d"]
        .map { Array($0.unicodeScalars) }

    public init() {}

    /// The words of `text`, each as its exact scalars (a case-folded match of a special token stays as
    /// written, so only the exact lower-case spelling later maps to the special id — as in CLIP).
    public func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return split(scalars: scalars).map { range in
            var word = String.UnicodeScalarView()
            word.append(contentsOf: scalars[range])
            return String(word)
        }
    }

    /// Half-open scalar ranges of the words of `scalars`.
    public func split(scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var position = 0
        let count = scalars.count
        while position < count {
            if let end = matchSpecialOrContraction(scalars, at: position) {
                words.append(position..<end)
                position = end
                continue
            }
            let scalar = scalars[position]
            switch Self.classify(scalar) {
            case .letter:
                var end = position + 1
                while end < count, Self.classify(scalars[end]) == .letter { end += 1 }
                words.append(position..<end)
                position = end
            case .number:
                words.append(position..<(position + 1))
                position += 1
            case .other:
                var end = position + 1
                while end < count, Self.classify(scalars[end]) == .other { end += 1 }
                words.append(position..<end)
                position = end
            case .separator:
                position += 1
            }
        }
        return words
    }

    private func matchSpecialOrContraction(_ scalars: [Unicode.Scalar], at position: Int) -> Int? {
        let first = scalars[position]
        if first == "<" {
            for token in Self.specialTokens where Self.matchesIgnoringCase(scalars, at: position, token) {
                return position + token.count
            }
        } else if first == "'" {
            for suffix in Self.contractionSuffixes
            where Self.matchesIgnoringCase(scalars, at: position + 1, suffix) {
                return position + 1 + suffix.count
            }
        }
        return nil
    }

    /// `pattern` is ASCII; under `regex`'s IGNORECASE an ASCII letter also matches its upper case and,
    /// for `s` and `k`, the long s (U+017F) and the Kelvin sign (U+212A).
    private static func matchesIgnoringCase(
        _ scalars: [Unicode.Scalar], at start: Int, _ pattern: [Unicode.Scalar]
    ) -> Bool {
        guard start + pattern.count <= scalars.count else { return false }
        for (offset, expected) in pattern.enumerated() {
            let actual = scalars[start + offset]
            if actual == expected { continue }
            let value = expected.value
            guard (0x61...0x7A).contains(value) else { return false }
            if actual.value == value - 0x20 { continue }
            if value == 0x73, actual.value == 0x17F { continue }
            if value == 0x6B, actual.value == 0x212A { continue }
            return false
        }
        return true
    }

    enum ScalarClass {
        case letter, number, other, separator
    }

    static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
        if scalar.value < 0x80 {
            switch scalar.value {
            case 0x41...0x5A, 0x61...0x7A: return .letter
            case 0x30...0x39: return .number
            case 0x09...0x0D, 0x20: return .separator
            default: return .other
            }
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            // `regex` tests a negated class against every case variant under IGNORECASE: U+0345 upper-cases
            // to Greek iota (a letter), so `[^\s\p{L}\p{N}]` rejects it, and no alternative matches it.
            if scalar.properties.isWhitespace || scalar.value == 0x345 { return .separator }
            return .other
        }
    }
}
