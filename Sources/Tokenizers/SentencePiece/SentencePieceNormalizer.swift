/// SentencePiece's `Normalizer::Normalize`: user-defined symbols are kept verbatim (longest match first);
/// elsewhere the longest `precompiled_charsmap` rule at each position rewrites the text (one character is
/// copied when no rule applies). Then the whitespace options: leading spaces dropped and runs of spaces
/// collapsed (`remove_extra_whitespaces`), spaces written as U+2581 (`escape_whitespaces`), and U+2581
/// put in front (`add_dummy_prefix`) or, with `treat_whitespace_as_suffix`, at the end.
public struct SentencePieceNormalizer: TextNormalizing {
    public static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]

    let charsMap: PrecompiledCharsMap?
    let userDefinedSymbols: ByteTrie?
    public let addDummyPrefix: Bool
    public let removeExtraWhitespaces: Bool
    public let escapeWhitespaces: Bool
    public let treatWhitespaceAsSuffix: Bool

    init(options: SentencePieceModelFile.NormalizerOptions, treatWhitespaceAsSuffix: Bool,
         charsMap: PrecompiledCharsMap?, userDefinedSymbols: ByteTrie?) {
        self.charsMap = charsMap
        self.userDefinedSymbols = userDefinedSymbols
        addDummyPrefix = options.addDummyPrefix
        removeExtraWhitespaces = options.removeExtraWhitespaces
        escapeWhitespaces = options.escapeWhitespaces
        self.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix
    }

    /// What replaces the text at a position: a range of the input, or of the charsmap's replacement blob.
    private enum Prefix {
        case input(Range<Int>)
        case replacement(Range<Int>)
    }

    public func normalize(_ text: [UInt8]) -> [UInt8] {
        guard !text.isEmpty else { return [] }
        return text.withUnsafeBufferPointer { input in
            guard let charsMap else { return normalize(input, replacements: nil) }
            return charsMap.withReplacements { normalize(input, replacements: $0) }
        }
    }

    private func normalize(_ input: UnsafeBufferPointer<UInt8>, replacements: UnsafeBufferPointer<UInt8>?) -> [UInt8] {
        func bytes(_ prefix: Prefix) -> UnsafeBufferPointer<UInt8>.SubSequence {
            switch prefix {
            case .input(let range): return input[range]
            case .replacement(let range): return replacements.map { $0[range] } ?? input[0..<0]
            }
        }
        var position = 0
        if removeExtraWhitespaces {
            while position < input.count {
                let (prefix, consumed) = normalizePrefix(input, at: position)
                guard bytes(prefix).elementsEqual(CollectionOfOne(UInt8(ascii: " "))) else { break }
                position += consumed
            }
        }
        guard position < input.count else { return [] }

        var output: [UInt8] = []
        output.reserveCapacity((input.count - position) * 3 / 2 + 3)
        func appendSpace() {
            if escapeWhitespaces { output += Self.spaceSymbol } else { output.append(UInt8(ascii: " ")) }
        }
        if !treatWhitespaceAsSuffix, addDummyPrefix { appendSpace() }
        var previousIsSpace = removeExtraWhitespaces
        while position < input.count {
            let (prefix, consumed) = normalizePrefix(input, at: position)
            var piece = bytes(prefix)
            if previousIsSpace {
                while piece.first == UInt8(ascii: " ") { piece = piece.dropFirst() }
            }
            if !piece.isEmpty {
                for byte in piece {
                    if escapeWhitespaces, byte == UInt8(ascii: " ") { output += Self.spaceSymbol } else { output.append(byte) }
                }
                previousIsSpace = piece.last == UInt8(ascii: " ")
            }
            position += consumed
            if !removeExtraWhitespaces { previousIsSpace = false }
        }
        if removeExtraWhitespaces {
            let space = escapeWhitespaces ? Self.spaceSymbol : [UInt8(ascii: " ")]
            while output.count >= space.count, output[(output.count - space.count)...].elementsEqual(space) {
                output.removeLast(space.count)
            }
        }
        if treatWhitespaceAsSuffix, addDummyPrefix { appendSpace() }
        return output
    }

    /// `Normalizer::NormalizePrefix`: a user-defined symbol, else the longest charsmap rule, else one
    /// character unchanged; with the number of input bytes consumed.
    private func normalizePrefix(_ input: UnsafeBufferPointer<UInt8>, at position: Int) -> (Prefix, Int) {
        if let userDefinedSymbols, let match = userDefinedSymbols.longestPrefix(input, from: position, to: input.count) {
            return (.input(position..<(position + match.length)), match.length)
        }
        if let charsMap, let match = charsMap.longestMatch(input, from: position, to: input.count) {
            return (.replacement(match.replacement), match.length)
        }
        let length = min(UTF8Text.scalarLength(leadByte: input[position]), input.count - position)
        return (.input(position..<(position + length)), length)
    }
}

/// Helpers for valid UTF-8 byte arrays.
enum UTF8Text {
    /// Bytes in the scalar a lead byte starts (SentencePiece's `OneCharLen`).
    @inline(__always)
    static func scalarLength(leadByte: UInt8) -> Int {
        switch leadByte {
        case 0..<0xC0: return 1
        case 0xC0..<0xE0: return 2
        case 0xE0..<0xF0: return 3
        default: return 4
        }
    }

    static func scalars(_ bytes: [UInt8]) -> [Unicode.Scalar] {
        Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
    }

    static func bytes<Scalars: Sequence>(_ scalars: Scalars) -> [UInt8] where Scalars.Element == Unicode.Scalar {
        var output: [UInt8] = []
        for scalar in scalars { UTF8.encode(scalar) { output.append($0) } }
        return output
    }
}
