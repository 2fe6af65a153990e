import Foundation

/// tokenizers' `Precompiled` normalizer (the SentencePiece charsmap as `spm_precompiled` applies it), which
/// differs from SentencePiece's own longest-match rule: the text is walked by extended grapheme clusters; a
/// cluster shorter than 6 bytes is replaced whole by the first (shortest) rule matching a prefix of it;
/// otherwise each character is replaced by its own first matching rule, or kept.
struct PrecompiledNormalizer: TextNormalizing {
    let charsMap: PrecompiledCharsMap

    func normalize(_ text: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count + 8)
        charsMap.withReplacements { replacements in
            func transform(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
                guard let replacement = charsMap.firstMatch(bytes, from: range.lowerBound, to: range.upperBound) else {
                    return false
                }
                output.append(contentsOf: replacements[replacement])
                return true
            }
            func transformCluster(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
                if range.count < 6, transform(bytes, range) { return }
                var position = range.lowerBound
                while position < range.upperBound {
                    let end = position + UTF8Text.scalarLength(leadByte: bytes[position])
                    if !transform(bytes, position..<end) { output.append(contentsOf: bytes[position..<end]) }
                    position = end
                }
            }
            // ASCII without carriage returns: every byte is its own cluster unless a combining character
            // follows, which only non-ASCII text has.
            if !text.contains(where: { $0 >= 0x80 || $0 == 0x0D }) {
                text.withUnsafeBufferPointer { bytes in
                    for index in bytes.indices { transformCluster(bytes, index..<(index + 1)) }
                }
                return
            }
            let string = String(decoding: text, as: UTF8.self)
            var clusterBytes: [UInt8] = []
            for character in string {
                clusterBytes.removeAll(keepingCapacity: true)
                clusterBytes.append(contentsOf: character.utf8)
                clusterBytes.withUnsafeBufferPointer { transformCluster($0, 0..<$0.count) }
            }
        }
        return output
    }
}

/// tokenizers' `Replace`: every match of the pattern, left to right, becomes `content`.
struct ReplaceNormalizer: TextNormalizing {
    let pattern: TextPattern
    let content: [UInt8]

    func normalize(_ text: [UInt8]) -> [UInt8] {
        let matches = pattern.matches(in: text)
        guard !matches.isEmpty else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(text.count + matches.count * content.count)
        var previous = 0
        for match in matches {
            output.append(contentsOf: text[previous..<match.lowerBound])
            output.append(contentsOf: content)
            previous = match.upperBound
        }
        output.append(contentsOf: text[previous...])
        return output
    }
}

/// tokenizers' `Prepend`: `prefix` in front of any non-empty text.
struct PrependNormalizer: TextNormalizing {
    let prefix: [UInt8]

    func normalize(_ text: [UInt8]) -> [UInt8] { text.isEmpty ? text : prefix + text }
}

/// tokenizers' `Strip`: Unicode whitespace removed from the left and/or right end.
struct StripNormalizer: TextNormalizing {
    let left: Bool
    let right: Bool

    func normalize(_ text: [UInt8]) -> [UInt8] {
        var scalars = Substring(String(decoding: text, as: UTF8.self)).unicodeScalars
        if left { while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() } }
        if right { while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() } }
        return Array(String(scalars).utf8)
    }
}

/// tokenizers' `Lowercase`: each character's full lower-case mapping (no context rules such as final sigma).
struct LowercaseNormalizer: TextNormalizing {
    func normalize(_ text: [UInt8]) -> [UInt8] {
        if !text.contains(where: { $0 >= 0x80 }) {
            return text.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
        }
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        for scalar in String(decoding: text, as: UTF8.self).unicodeScalars {
            if scalar.value < 0x80 {
                let value = UInt8(scalar.value)
                output.append((0x41...0x5A).contains(value) ? value + 0x20 : value)
            } else {
                output.append(contentsOf: scalar.properties.lowercaseMapping.utf8)
            }
        }
        return output
    }
}

/// tokenizers' `NFC`, `NFD`, `NFKC`, `NFKD` and `StripAccents` (combining marks removed).
struct UnicodeFormNormalizer: TextNormalizing {
    enum Form: String { case nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD", stripAccents = "StripAccents" }
    let form: Form

    func normalize(_ text: [UInt8]) -> [UInt8] {
        let string = String(decoding: text, as: UTF8.self)
        switch form {
        case .nfc: return Array(string.precomposedStringWithCanonicalMapping.utf8)
        case .nfd: return Array(string.decomposedStringWithCanonicalMapping.utf8)
        case .nfkc: return Array(string.precomposedStringWithCompatibilityMapping.utf8)
        case .nfkd: return Array(string.decomposedStringWithCompatibilityMapping.utf8)
        case .stripAccents:
            return UTF8Text.bytes(string.unicodeScalars.filter { scalar in
                switch scalar.properties.generalCategory {
                case .nonspacingMark, .spacingMark, .enclosingMark: return false
                default: return true
                }
            })
        }
    }
}
