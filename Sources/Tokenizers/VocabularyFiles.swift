import Foundation

/// Readers for the Hugging Face tokenizer layout: `vocab.json` (a flat `{"token": id}` object),
/// `merges.txt` (one `left right` pair per line, optional `#version` header) and `tokenizer_config.json`.
enum VocabularyFiles {
    static func readData(_ url: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TokenizerError.fileNotFound(path: url.path)
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Parses `vocab.json` with a dedicated scanner: it only needs string keys and integer values, and
    /// is several times faster than a general JSON decoder on the 49k-entry CLIP vocabulary. Keys are
    /// kept as UTF-8 bytes: hashing bytes avoids String's Unicode-aware hashing of non-ASCII symbols.
    static func readVocabulary(_ url: URL) throws -> [ByteString: Int] {
        let data = try readData(url)
        do {
            return try data.withUnsafeBytes { raw in
                var scanner = FlatJSONObjectScanner(bytes: raw.bindMemory(to: UInt8.self))
                return try scanner.parse()
            }
        } catch let failure as FlatJSONObjectScanner.Failure {
            throw TokenizerError.malformedJSON(path: url.path, byteOffset: failure.offset, reason: failure.reason)
        }
    }

    struct MergeLine {
        let left: [UInt8]
        let right: [UInt8]
        let line: Int
    }

    /// Pairs in rank order (UTF-8 bytes), with their 1-based line numbers for error messages.
    static func readMerges(_ url: URL) throws -> [MergeLine] {
        let data = try readData(url)
        var merges: [MergeLine] = []
        merges.reserveCapacity(50_000)
        let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " "), carriageReturn = UInt8(ascii: "\r")
        let header = Array("#version".utf8)
        try data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lineStart = 0
            var lineNumber = 0
            while lineStart < bytes.count {
                lineNumber += 1
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != newline { lineEnd += 1 }
                let next = lineEnd + 1
                if lineEnd > lineStart, bytes[lineEnd - 1] == carriageReturn { lineEnd -= 1 }
                let line = bytes[lineStart..<lineEnd]
                lineStart = next
                if line.isEmpty || (lineNumber == 1 && line.starts(with: header)) { continue }
                let parts = line.split(separator: space, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    let shown = String(decoding: line, as: UTF8.self).debugDescription
                    throw TokenizerError.malformedMerges(
                        path: url.path, line: lineNumber,
                        reason: "expected two tokens separated by one space, found \(shown)")
                }
                merges.append(MergeLine(left: Array(parts[0]), right: Array(parts[1]), line: lineNumber))
            }
        }
        return merges
    }

    /// `model_max_length` from `tokenizer_config.json`, or nil when absent or a "no limit" placeholder.
    static func readContextLength(_ url: URL) throws -> Int? {
        let data = try readData(url)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TokenizerError.malformedJSON(path: url.path, byteOffset: 0, reason: error.localizedDescription)
        }
        guard let dictionary = object as? [String: Any] else {
            throw TokenizerError.invalidConfiguration(path: url.path, reason: "top level is not an object")
        }
        guard let value = dictionary["model_max_length"] else { return nil }
        guard let number = value as? NSNumber, number.doubleValue >= 2 else {
            throw TokenizerError.invalidConfiguration(
                path: url.path, reason: "model_max_length must be a number ≥ 2, found \(value)")
        }
        // transformers writes 1e30 when a model has no limit; CLIP's own default then applies.
        return number.doubleValue > 1_000_000 ? nil : number.intValue
    }
}

/// UTF-8 bytes as a dictionary key: hashed in one `Hasher.combine(bytes:)` call, which is several times
/// faster than `[UInt8]`'s per-element hashing or `String`'s Unicode-aware hashing.
struct ByteString: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

/// Scanner for a JSON object whose values are all integers.
struct FlatJSONObjectScanner {
    struct Failure: Error {
        let offset: Int
        let reason: String
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func parse() throws -> [ByteString: Int] {
        var result: [ByteString: Int] = [:]
        result.reserveCapacity(bytes.count / 16)
        skipWhitespace()
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                skipWhitespace()
                let key = try parseString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                result[ByteString(key)] = try parseInteger()
                skipWhitespace()
                guard let next = peek() else { throw Failure(offset: position, reason: "unexpected end of file") }
                position += 1
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else {
                    throw Failure(offset: position - 1, reason: "expected ',' or '}' between entries")
                }
            }
        }
        skipWhitespace()
        guard position == bytes.count else { throw Failure(offset: position, reason: "trailing data after object") }
        return result
    }

    private func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard peek() == byte else {
            throw Failure(offset: position, reason: "expected '\(Character(Unicode.Scalar(byte)))'")
        }
        position += 1
    }

    private mutating func parseInteger() throws -> Int {
        let start = position
        var value = 0
        while let byte = peek(), byte >= 0x30, byte <= 0x39 {
            let (multiplied, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (added, overflow2) = multiplied.addingReportingOverflow(Int(byte - 0x30))
            guard !overflow1, !overflow2 else { throw Failure(offset: start, reason: "token id too large") }
            value = added
            position += 1
        }
        guard position > start else { throw Failure(offset: start, reason: "expected a non-negative integer id") }
        return value
    }

    /// A key's UTF-8 bytes (the JSON parser's string reading, validated here).
    private mutating func parseString() throws -> [UInt8] {
        let start = position
        let utf8: [UInt8]
        do {
            utf8 = try JSONParser.stringBytes(bytes, at: &position)
        } catch let failure as JSONParser.Failure {
            throw Failure(offset: failure.offset, reason: failure.reason)
        }
        guard utf8.allSatisfy({ $0 < 0x80 }) || String(validating: utf8, as: UTF8.self) != nil else {
            throw Failure(offset: start, reason: "string is not valid UTF-8")
        }
        return utf8
    }
}
