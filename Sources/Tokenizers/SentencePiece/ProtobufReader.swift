/// A reader for the protobuf wire format, enough for SentencePiece's `ModelProto`: varints, 32/64-bit fixed
/// values and length-delimited fields. Every read is bounds-checked, so a truncated or corrupted file ends
/// in a `Failure` naming the byte offset, never in a crash.
struct ProtobufReader {
    struct Failure: Error {
        let offset: Int
        let reason: String
    }

    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    struct Field {
        let number: Int
        let wireType: WireType
        /// Offset of the field's value in the reader's bytes.
        let offset: Int
    }

    private let bytes: [UInt8]
    private(set) var position: Int
    private let end: Int

    init(_ bytes: [UInt8]) {
        self.init(bytes, range: 0..<bytes.count)
    }

    private init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        position = range.lowerBound
        end = range.upperBound
    }

    var isAtEnd: Bool { position >= end }

    /// The next field's tag, or nil at the end of this message.
    mutating func nextField() throws -> Field? {
        guard !isAtEnd else { return nil }
        let tagOffset = position
        let tag = try readVarint()
        guard let wireType = WireType(rawValue: UInt8(tag & 7)) else {
            throw Failure(offset: tagOffset, reason: "unknown wire type \(tag & 7)")
        }
        let number = tag >> 3
        guard number > 0, number < 1 << 29 else {
            throw Failure(offset: tagOffset, reason: "invalid field number \(number)")
        }
        return Field(number: Int(number), wireType: wireType, offset: position)
    }

    mutating func readVarint() throws -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw Failure(offset: start, reason: "truncated varint") }
            let byte = bytes[position]
            position += 1
            guard shift < 64 else { throw Failure(offset: start, reason: "varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func readFixed32() throws -> UInt32 {
        guard end - position >= 4 else { throw Failure(offset: position, reason: "truncated 32-bit value") }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[position + index]) << (8 * index) }
        position += 4
        return value
    }

    /// A length-delimited value's byte range.
    mutating func readLengthDelimited() throws -> Range<Int> {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(end - position) else {
            throw Failure(offset: start, reason: "length \(length) runs past the end of the data")
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    mutating func readBytes() throws -> [UInt8] {
        Array(bytes[try readLengthDelimited()])
    }

    mutating func readString() throws -> String {
        let start = position
        let range = try readLengthDelimited()
        guard let text = String(validating: bytes[range], as: UTF8.self) else {
            throw Failure(offset: start, reason: "string field is not valid UTF-8")
        }
        return text
    }

    /// A reader over an embedded message.
    mutating func readMessage() throws -> ProtobufReader {
        ProtobufReader(bytes, range: try readLengthDelimited())
    }

    /// Skips a field this reader does not use.
    mutating func skip(_ field: Field) throws {
        switch field.wireType {
        case .varint: _ = try readVarint()
        case .fixed64:
            guard end - position >= 8 else { throw Failure(offset: position, reason: "truncated 64-bit value") }
            position += 8
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed32: _ = try readFixed32()
        case .startGroup, .endGroup:
            throw Failure(offset: field.offset, reason: "groups are not used by SentencePiece models")
        }
    }

    /// Fails unless `field` has the wire type its declaration implies.
    func expect(_ field: Field, _ wireType: WireType) throws {
        guard field.wireType == wireType else {
            throw Failure(offset: field.offset, reason: "field \(field.number) has wire type "
                          + "\(field.wireType.rawValue), expected \(wireType.rawValue)")
        }
    }

    /// Passes each field of this message to `body`, skipping those it returns false for.
    mutating func forEachField(_ body: (Field, inout ProtobufReader) throws -> Bool) throws {
        while let field = try nextField() {
            if try !body(field, &self) { try skip(field) }
        }
    }

    // Typed values of declared fields: the wire type is checked first.

    mutating func message(_ field: Field) throws -> ProtobufReader {
        try expect(field, .lengthDelimited)
        return try readMessage()
    }

    mutating func string(_ field: Field) throws -> String {
        try expect(field, .lengthDelimited)
        return try readString()
    }

    mutating func bytes(_ field: Field) throws -> [UInt8] {
        try expect(field, .lengthDelimited)
        return try readBytes()
    }

    mutating func varint(_ field: Field) throws -> UInt64 {
        try expect(field, .varint)
        return try readVarint()
    }

    mutating func bool(_ field: Field) throws -> Bool { try varint(field) != 0 }

    /// int32 fields hold negative values as 10-byte two's-complement varints.
    mutating func int32(_ field: Field) throws -> Int {
        Int(Int32(truncatingIfNeeded: Int64(bitPattern: try varint(field))))
    }

    mutating func float(_ field: Field) throws -> Float {
        try expect(field, .fixed32)
        return Float(bitPattern: try readFixed32())
    }
}
