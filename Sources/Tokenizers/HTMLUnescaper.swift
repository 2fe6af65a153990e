/// The two HTML-entity decoders CLIP's cleaning runs: ftfy's cautious `unescape_html` (only
/// `&name;` / `&#...;` forms, plus upper-cased names like `&NTILDE;`) and Python's `html.unescape`
/// (HTML5 rules: legacy names without `;`, longest-prefix names, numeric references with the
/// Windows-1252 remapping and invalid code point handling).
enum HTMLUnescaper {
    /// Python's `html.entities.html5`, keyed by name without `&` (with its `;` when it has one).
    static let html5Entities: [String: [Unicode.Scalar]] = parse(HTMLEntityTable.html5Chunks)

    /// ftfy's `HTML_ENTITIES`, keyed by name without `&`: the html5 names ending in `;` plus upper-cased ones.
    static let ftfyEntities: [String: [Unicode.Scalar]] = {
        var table = html5Entities.filter { $0.key.hasSuffix(";") }
        for (name, value) in parse(HTMLEntityTable.ftfyUppercaseChunks) { table[name] = value }
        return table
    }()

    private static func parse(_ chunks: [String]) -> [String: [Unicode.Scalar]] {
        var table: [String: [Unicode.Scalar]] = [:]
        for chunk in chunks {
            for entry in chunk.split(separator: "|") {
                let parts = entry.split(separator: ":")
                guard parts.count == 2 else { continue }
                let scalars = parts[1].split(separator: ".").compactMap { UInt32($0, radix: 16) }
                    .compactMap(Unicode.Scalar.init)
                table[String(parts[0])] = scalars
            }
        }
        return table
    }

    // MARK: ftfy.fixes.unescape_html

    /// Replaces matches of `&#?[0-9A-Za-z]{1,24};` that name a known entity, or that are numeric
    /// references `html.unescape` decodes completely (its result holds no `;`).
    static func ftfyUnescape(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(text.count)
        var position = 0
        while position < text.count {
            guard text[position] == "&", let end = ftfyEntityEnd(text, ampersand: position) else {
                output.append(text[position])
                position += 1
                continue
            }
            let match = Array(text[position..<end])
            let name = String(String.UnicodeScalarView(match.dropFirst()))
            if let value = ftfyEntities[name] {
                output.append(contentsOf: value)
            } else if match.count > 1, match[1] == "#" {
                let decoded = pythonUnescape(match)
                output.append(contentsOf: decoded.contains(";") ? match : decoded)
            } else {
                output.append(contentsOf: match)
            }
            position = end
        }
        return output
    }

    /// End (exclusive) of a `&#?[0-9A-Za-z]{1,24};` match starting at `ampersand`, if any.
    private static func ftfyEntityEnd(_ text: [Unicode.Scalar], ampersand: Int) -> Int? {
        var index = ampersand + 1
        if index < text.count, text[index] == "#" { index += 1 }
        let runStart = index
        while index < text.count, isASCIIAlphanumeric(text[index]) { index += 1 }
        let runLength = index - runStart
        guard runLength >= 1, runLength <= 24, index < text.count, text[index] == ";" else { return nil }
        return index + 1
    }

    // MARK: html.unescape

    static func pythonUnescape(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(text.count)
        var position = 0
        while position < text.count {
            if text[position] == "&", let (end, replacement) = replaceReference(text, ampersand: position) {
                output.append(contentsOf: replacement)
                position = end
            } else {
                output.append(text[position])
                position += 1
            }
        }
        return output
    }

    /// Matches `&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)` and computes its replacement.
    private static func replaceReference(
        _ text: [Unicode.Scalar], ampersand: Int
    ) -> (end: Int, replacement: [Unicode.Scalar])? {
        let start = ampersand + 1
        guard start < text.count else { return nil }
        if text[start] == "#" {
            var index = start + 1
            var radix: UInt32 = 10
            if index < text.count, text[index] == "x" || text[index] == "X" {
                radix = 16
                index += 1
            }
            let digitsStart = index
            var value: UInt64 = 0
            while index < text.count, let digit = digitValue(text[index], radix: radix) {
                // Saturate: anything past U+10FFFF decodes to U+FFFD regardless of its size.
                value = min(value * UInt64(radix) + UInt64(digit), 0x1_0000_0000)
                index += 1
            }
            guard index > digitsStart else { return nil }
            if index < text.count, text[index] == ";" { index += 1 }
            return (index, numericReplacement(value))
        }
        var index = start
        while index < text.count, index - start < 32, !isNameTerminator(text[index]) { index += 1 }
        guard index > start else { return nil }
        if index < text.count, text[index] == ";" { index += 1 }
        let name = Array(text[start..<index])
        if let value = html5Entities[String(String.UnicodeScalarView(name))] {
            return (index, value)
        }
        // Longest known prefix of at least two characters, the rest kept verbatim.
        var length = name.count - 1
        while length >= 2 {
            if let value = html5Entities[String(String.UnicodeScalarView(name[0..<length]))] {
                return (index, value + name[length...])
            }
            length -= 1
        }
        return (index, ["&"] + name)
    }

    private static func numericReplacement(_ value: UInt64) -> [Unicode.Scalar] {
        if let remapped = windows1252Remapping[value] { return [remapped] }
        if (0xD800...0xDFFF).contains(value) || value > 0x10FFFF { return ["\u{FFFD}"] }
        if isInvalidCodePoint(value) { return [] }
        guard let scalar = Unicode.Scalar(UInt32(value)) else { return ["\u{FFFD}"] }
        return [scalar]
    }

    /// Python's `html._invalid_charrefs`: NUL, CR and the Windows-1252 meaning of 0x80–0x9F.
    private static let windows1252Remapping: [UInt64: Unicode.Scalar] = {
        var table: [UInt64: Unicode.Scalar] = [0x00: "\u{FFFD}", 0x0D: "\r"]
        for (offset, scalar) in CharacterTables.windows1252C1.enumerated() {
            table[UInt64(0x80 + offset)] = scalar
        }
        return table
    }()

    /// Python's `html._invalid_codepoints`: such references decode to nothing.
    private static func isInvalidCodePoint(_ value: UInt64) -> Bool {
        switch value {
        case 0x1...0x8, 0xB, 0xE...0x1F, 0x7F...0x9F, 0xFDD0...0xFDEF: return true
        default: return (value & 0xFFFE) == 0xFFFE && value <= 0x10FFFF
        }
    }

    private static func isNameTerminator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\u{0C}", " ", "<", "&", "#", ";": return true
        default: return false
        }
    }

    private static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return false
        }
    }

    private static func digitValue(_ scalar: Unicode.Scalar, radix: UInt32) -> UInt32? {
        let value = scalar.value
        switch value {
        case 0x30...0x39: return value - 0x30
        case 0x41...0x46 where radix == 16: return value - 0x41 + 10
        case 0x61...0x66 where radix == 16: return value - 0x61 + 10
        default: return nil
        }
    }
}
