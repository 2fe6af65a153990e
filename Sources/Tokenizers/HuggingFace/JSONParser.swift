/// A JSON parser for `tokenizer.json` and `tokenizer_config.json` giving Swift values in `Any`
/// (`[String: Any]`, `[Any]`, `String`, `Int` or `Double`, `Bool`, `JSONParser.null`).
/// Foundation's `JSONSerialization` on Linux drops U+FEFF from strings, and vocabularies have a piece for it
/// (Mistral's, Llama's); this parser keeps every character, rejects invalid UTF-8 and lone surrogates, limits
/// nesting (hostile files cannot exhaust the stack) and reports the byte offset of a problem.
struct JSONParser {
    struct Failure: Error {
        let offset: Int
        let reason: String
    }

    /// JSON `null`.
    struct Null: Equatable {}
    static let null = Null()
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    static func parse(_ data: [UInt8]) throws -> Any {
        try data.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer)
            parser.skipWhitespace()
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            guard parser.position == buffer.count else { throw parser.failure("unexpected data after the JSON value") }
            return value
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private func failure(_ reason: String) -> Failure { Failure(offset: position, reason: reason) }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func expect(_ literal: StaticString, _ value: Any) throws -> Any {
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard bytes.count - position >= text.count, bytes[position..<(position + text.count)].elementsEqual(text) else {
            throw failure("invalid literal")
        }
        position += text.count
        return value
    }

    private mutating func value(depth: Int) throws -> Any {
        guard position < bytes.count else { throw failure("unexpected end of data") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return try string()
        case UInt8(ascii: "t"): return try expect("true", true)
        case UInt8(ascii: "f"): return try expect("false", false)
        case UInt8(ascii: "n"): return try expect("null", Self.null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("unexpected character")
        }
    }

    private mutating func object(depth: Int) throws -> [String: Any] {
        var result: [String: Any] = [:]
        try elements(depth: depth, closing: UInt8(ascii: "}")) { parser in
            let key = try parser.string()
            parser.skipWhitespace()
            guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: ":") else {
                throw parser.failure("expected ':'")
            }
            parser.position += 1
            parser.skipWhitespace()
            result[key] = try parser.value(depth: depth)
        }
        return result
    }

    private mutating func array(depth: Int) throws -> [Any] {
        var result: [Any] = []
        try elements(depth: depth, closing: UInt8(ascii: "]")) { result.append(try $0.value(depth: depth)) }
        return result
    }

    /// The comma-separated elements of an object or array, from its opening bracket to `closing`.
    private mutating func elements(depth: Int, closing: UInt8, _ element: (inout JSONParser) throws -> Void) throws {
        guard depth <= Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth) levels") }
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == closing {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            guard position < bytes.count else { throw failure("unexpected end of data") }
            if bytes[position] == closing {
                position += 1
                return
            }
            guard bytes[position] == UInt8(ascii: ",") else {
                throw failure("expected ',' or '\(Character(Unicode.Scalar(closing)))'")
            }
            position += 1
        }
    }

    private mutating func string() throws -> String {
        let start = position
        let utf8 = try Self.stringBytes(bytes, at: &position)
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw Failure(offset: start, reason: "string is not valid UTF-8")
        }
        return text
    }

    /// The UTF-8 bytes of the string starting at the quote at `position` (escapes decoded, not yet validated),
    /// leaving `position` after the closing quote. Shared with the `vocab.json` scanner.
    static func stringBytes(_ bytes: UnsafeBufferPointer<UInt8>, at position: inout Int) throws -> [UInt8] {
        func failure(_ reason: String) -> Failure { Failure(offset: position, reason: reason) }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw failure("expected a string") }
        position += 1
        var utf8: [UInt8] = []
        while true {
            let start = position
            while position < bytes.count, bytes[position] != UInt8(ascii: "\""), bytes[position] != UInt8(ascii: "\\") {
                guard bytes[position] >= 0x20 else { throw failure("control character in a string") }
                position += 1
            }
            utf8.append(contentsOf: bytes[start..<position])
            guard position < bytes.count else { throw failure("unterminated string") }
            if bytes[position] == UInt8(ascii: "\"") {
                position += 1
                return utf8
            }
            position += 1  // the backslash
            guard position < bytes.count else { throw failure("unterminated string") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"): UTF8.encode(try unicodeEscape(bytes, at: &position)) { utf8.append($0) }
            default: throw failure("invalid escape")
            }
        }
    }

    private static func hexQuad(_ bytes: UnsafeBufferPointer<UInt8>, at position: inout Int) throws -> UInt32 {
        guard bytes.count - position >= 4 else { throw Failure(offset: position, reason: "truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = UInt32(String(UnicodeScalar(bytes[position])), radix: 16) else {
                throw Failure(offset: position, reason: "invalid \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// `\uXXXX`, a surrogate pair combined into one scalar.
    private static func unicodeEscape(_ bytes: UnsafeBufferPointer<UInt8>, at position: inout Int) throws -> Unicode.Scalar {
        let start = position
        let first = try hexQuad(bytes, at: &position)
        var value = first
        if (0xD800..<0xDC00).contains(first) {
            guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
            else { throw Failure(offset: start, reason: "lone surrogate in \\u escape") }
            position += 2
            let second = try hexQuad(bytes, at: &position)
            guard (0xDC00..<0xE000).contains(second) else {
                throw Failure(offset: start, reason: "lone surrogate in \\u escape")
            }
            value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(value) else { throw Failure(offset: start, reason: "lone surrogate in \\u escape") }
        return scalar
    }

    private mutating func number() throws -> Any {
        let start = position
        var isInteger = true
        scan: while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"): break
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): isInteger = false
            default: break scan
            }
            position += 1
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger, let integer = Int(text) { return integer }
        guard let double = Double(text), double.isFinite else {
            position = start
            throw failure("invalid number \(text.prefix(30))")
        }
        return double
    }
}
