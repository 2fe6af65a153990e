/// GPT-2's `bytes_to_unicode`: every byte gets a printable stand-in character so BPE symbols never
/// contain whitespace or control characters. Printable Latin-1 bytes map to themselves; the other 68
/// bytes map, in byte order, to U+0100, U+0101, ….
public enum ByteLevelEncoding {
    public static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var nextShifted: UInt32 = 256
        for byte in 0..<256 {
            let keepsItself = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte)
                || (0xAE...0xFF).contains(byte)
            let value = keepsItself ? UInt32(byte) : nextShifted
            if !keepsItself { nextShifted += 1 }
            // All values are below 0x200, so they are valid scalars.
            table[byte] = Unicode.Scalar(value) ?? " "
        }
        return table
    }()

    public static let byteForScalar: [Unicode.Scalar: UInt8] = {
        var table: [Unicode.Scalar: UInt8] = [:]
        for (byte, scalar) in scalarForByte.enumerated() { table[scalar] = UInt8(byte) }
        return table
    }()

    /// `byteForScalar` as a flat table indexed by scalar value (all symbols are below U+0144), -1 elsewhere.
    static let byteForScalarValue: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x200)
        for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// Raw bytes of a run of symbol characters; characters that are not byte symbols are skipped.
    /// Symbols are all below U+0800, so only one- and two-byte UTF-8 sequences need decoding here.
    static func bytes(fromSymbolUTF8 utf8: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            let lead = utf8[index]
            var value = -1
            var length = 1
            if lead < 0x80 {
                value = Int(lead)
            } else if lead & 0xE0 == 0xC0, index + 1 < utf8.count, utf8[index + 1] & 0xC0 == 0x80 {
                value = Int(lead & 0x1F) << 6 | Int(utf8[index + 1] & 0x3F)
                length = 2
            } else {
                // Longer sequences are never byte symbols: skip the lead and its continuation bytes.
                while index + length < utf8.count, utf8[index + length] & 0xC0 == 0x80 { length += 1 }
            }
            if value >= 0, value < byteForScalarValue.count, byteForScalarValue[value] >= 0 {
                output.append(UInt8(byteForScalarValue[value]))
            }
            index += length
        }
        return output
    }

    /// The vocabulary symbol for one byte, optionally with the end-of-word marker.
    public static func symbol(forByte byte: UInt8, endOfWord: Bool = false) -> String {
        var text = String(Character(scalarForByte[Int(byte)]))
        if endOfWord { text += BytePairEncoder.endOfWordSuffix }
        return text
    }

    /// Inverse mapping of a run of symbol characters back to bytes; unknown characters are skipped.
    public static func bytes(fromSymbols text: String) -> [UInt8] {
        text.unicodeScalars.compactMap { byteForScalar[$0] }
    }
}
