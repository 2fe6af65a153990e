import Foundation

/// Character facts the normalizer needs, matching Python 3 and ftfy 6 rather than Swift's defaults.
enum CharacterTables {
    /// Windows-1252 for bytes 0x80–0x9F, with the five undefined bytes kept as the C1 control of the
    /// same value (ftfy's "sloppy-windows-1252", and Python's `html._invalid_charrefs`).
    static let windows1252C1: [Unicode.Scalar] = [
        "\u{20AC}", "\u{81}", "\u{201A}", "\u{192}", "\u{201E}", "\u{2026}", "\u{2020}", "\u{2021}",
        "\u{2C6}", "\u{2030}", "\u{160}", "\u{2039}", "\u{152}", "\u{8D}", "\u{17D}", "\u{8F}",
        "\u{90}", "\u{2018}", "\u{2019}", "\u{201C}", "\u{201D}", "\u{2022}", "\u{2013}", "\u{2014}",
        "\u{2DC}", "\u{2122}", "\u{161}", "\u{203A}", "\u{153}", "\u{9D}", "\u{17E}", "\u{178}",
    ]

    /// Python's `str.isspace()` (what `str.split()` and `str.strip()` use): White_Space plus the
    /// information separators U+001C–U+001F.
    static func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F,
             0x3000:
            return true
        default:
            return false
        }
    }

    /// ftfy's `CONTROL_CHARS`: removed by `remove_control_chars`.
    static func isRemovedControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC: return true
        default: return false
        }
    }

    /// ftfy's `LIGATURES`.
    static let latinLigatures: [Unicode.Scalar: [Unicode.Scalar]] = [
        "\u{132}": ["I", "J"], "\u{133}": ["i", "j"], "\u{149}": ["\u{2BC}", "n"],
        "\u{1F1}": ["D", "Z"], "\u{1F2}": ["D", "z"], "\u{1F3}": ["d", "z"],
        "\u{1C4}": ["D", "\u{17D}"], "\u{1C5}": ["D", "\u{17E}"], "\u{1C6}": ["d", "\u{17E}"],
        "\u{1C7}": ["L", "J"], "\u{1C8}": ["L", "j"], "\u{1C9}": ["l", "j"],
        "\u{1CA}": ["N", "J"], "\u{1CB}": ["N", "j"], "\u{1CC}": ["n", "j"],
        "\u{FB00}": ["f", "f"], "\u{FB01}": ["f", "i"], "\u{FB02}": ["f", "l"], "\u{FB03}": ["f", "f", "i"],
        "\u{FB04}": ["f", "f", "l"], "\u{FB05}": ["\u{17F}", "t"], "\u{FB06}": ["s", "t"],
    ]

    /// ftfy's `WIDTH_MAP`: U+3000 → space, and every U+FF01–U+FFEF whose NFKC form differs.
    static let widthMap: [Unicode.Scalar: [Unicode.Scalar]] = {
        var table: [Unicode.Scalar: [Unicode.Scalar]] = ["\u{3000}": [" "]]
        for value in UInt32(0xFF01)..<0xFFF0 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let original = String(Character(scalar))
            let compatible = original.precomposedStringWithCompatibilityMapping
            if compatible.unicodeScalars.elementsEqual(original.unicodeScalars) { continue }
            table[scalar] = Array(compatible.unicodeScalars)
        }
        return table
    }()

    /// Python's `str.lower()`: full lower-case mappings, plus the Final_Sigma rule for U+03A3.
    static func pythonLowercased(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        for (index, scalar) in scalars.enumerated() {
            if scalar.value < 0x80 {
                let value = scalar.value
                output.append((0x41...0x5A).contains(value) ? Unicode.Scalar(UInt8(value + 0x20)) : scalar)
            } else if scalar.value == 0x3A3 {
                output.append(isFinalSigma(scalars, at: index) ? "\u{3C2}" : "\u{3C3}")
            } else {
                output.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return output
    }

    /// CPython's `handle_capital_sigma`: cased letter (skipping case-ignorables) before, and no cased
    /// letter (skipping case-ignorables) after.
    private static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var before = index - 1
        while before >= 0, scalars[before].properties.isCaseIgnorable { before -= 1 }
        guard before >= 0, scalars[before].properties.isCased else { return false }
        var after = index + 1
        while after < scalars.count, scalars[after].properties.isCaseIgnorable { after += 1 }
        return after == scalars.count || !scalars[after].properties.isCased
    }

    /// NFC, skipping Foundation when no scalar at or above U+0300 could compose or reorder.
    static func canonicallyComposed(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard scalars.contains(where: { $0.value >= 0x300 }) else { return scalars }
        let text = String(String.UnicodeScalarView(scalars))
        return Array(text.precomposedStringWithCanonicalMapping.unicodeScalars)
    }
}
