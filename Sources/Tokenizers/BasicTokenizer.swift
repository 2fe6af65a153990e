import Foundation

/// The pre-WordPiece stages of transformers' `BasicTokenizer` (4.46), on Unicode scalars so character
/// counts and categories match Python's `str`: text cleaning, CJK isolation, NFC, whitespace split,
/// lower-casing and accent stripping as configured, then punctuation split.
public struct BasicTokenizer: Sendable, Equatable {
    public var lowercases: Bool
    /// nil follows `lowercases` (BERT's `strip_accents=None`).
    public var stripsAccents: Bool?
    public var splitsChineseCharacters: Bool
    public var splitsOnPunctuation: Bool

    public init(lowercases: Bool = true, stripsAccents: Bool? = nil, splitsChineseCharacters: Bool = true,
                splitsOnPunctuation: Bool = true) {
        self.lowercases = lowercases
        self.stripsAccents = stripsAccents
        self.splitsChineseCharacters = splitsChineseCharacters
        self.splitsOnPunctuation = splitsOnPunctuation
    }

    /// Words and punctuation marks, ready for WordPiece.
    public func tokenize(_ text: String) -> [String] {
        var cleaned: [Unicode.Scalar] = []
        cleaned.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
            if Self.isBertWhitespace(scalar) {
                cleaned.append(" ")
            } else if splitsChineseCharacters && Self.isChineseCharacter(scalar) {
                cleaned += [" ", scalar, " "]
            } else {
                cleaned.append(scalar)
            }
        }
        var output: [String] = []
        for word in Self.splitOnPythonWhitespace(CharacterTables.canonicallyComposed(cleaned)) {
            var scalars = word
            if lowercases { scalars = Self.lowercasedCharacterByCharacter(scalars) }
            if stripsAccents ?? lowercases { scalars = Self.strippingAccents(scalars) }
            for piece in splitOnPunctuation(scalars) where !piece.isEmpty {
                // Lower-casing or accent stripping can introduce whitespace only in theory; re-split as BERT does.
                for part in Self.splitOnPythonWhitespace(piece) {
                    output.append(String(String.UnicodeScalarView(part)))
                }
            }
        }
        return output
    }

    func splitOnPunctuation(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        guard splitsOnPunctuation else { return [scalars] }
        var pieces: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in scalars {
            if Self.isPunctuation(scalar) {
                if !current.isEmpty { pieces.append(current) }
                pieces.append([scalar])
                current = []
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// transformers lower-cases the text one character at a time (`PreTrainedTokenizer.tokenize` matches
    /// `(.+?)`), so Python's context-dependent final sigma never applies: Σ always becomes σ.
    static func lowercasedCharacterByCharacter(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        for scalar in scalars {
            if scalar.value < 0x80 {
                output.append((0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(UInt8(scalar.value + 0x20)) : scalar)
            } else {
                output.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return output
    }

    /// `_run_strip_accents`: NFD, then drop nonspacing marks (Mn).
    static func strippingAccents(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let text = String(String.UnicodeScalarView(scalars))
        return text.decomposedStringWithCanonicalMapping.unicodeScalars.filter {
            $0.properties.generalCategory != .nonspacingMark
        }
    }

    /// Python's `str.split()` with no argument: runs of whitespace separate, empty pieces dropped.
    static func splitOnPythonWhitespace(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in scalars {
            if CharacterTables.isPythonWhitespace(scalar) {
                if !current.isEmpty { words.append(current) }
                current = []
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// `_is_whitespace`: space, tab, newline, carriage return and category Zs.
    static func isBertWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\t", "\n", "\r": return true
        default: return scalar.properties.generalCategory == .spaceSeparator
        }
    }

    /// `_is_control`: any category C* except tab, newline and carriage return (which count as whitespace).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r": return false
        default: break
        }
        switch scalar.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// `_is_punctuation`: every non-alphanumeric ASCII symbol (so `$`, `^`, `` ` `` count) plus categories P*.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 33...47, 58...64, 91...96, 123...126: return true
        default: break
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// `_is_chinese_char`: the CJK Unified Ideographs blocks BERT isolates (not kana, hangul or CJK punctuation).
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
