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
    static func bytes(fromSymbolUTF8 utf8: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count)
        for scalar in String(decoding: utf8, as: UTF8.self).unicodeScalars {
            let value = Int(scalar.value)
            if value < byteForScalarValue.count, byteForScalarValue[value] >= 0 {
                output.append(UInt8(byteForScalarValue[value]))
            }
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
