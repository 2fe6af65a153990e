import Foundation

/// A read-only memory mapping of a whole file, shared by the readers that view it.
final class PyTorchCheckpointMapping: @unchecked Sendable {
    let path: String
    let base: UnsafeRawPointer
    let length: Int
    /// Bytes copied into memory rather than mapped (checkpoints held in memory, fuzz tests).
    private let ownsCopy: Bool

    /// A zip archive ends with a 22-byte end-of-central-directory record.
    static let minimumLength = 22
    static func tooShort(_ length: Int) -> String { "PyTorch checkpoint of \(length) bytes is too short to be a zip archive" }

    init(data: Data, path: String) throws {
        self.path = path
        let count = data.count
        guard count >= Self.minimumLength else { throw ModelError.malformedCheckpoint(path: path, reason: Self.tooShort(count)) }
        length = count
        let copy = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
        data.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: count) }
        base = UnsafeRawPointer(copy)
        ownsCopy = true
    }

    init(fileAt url: URL) throws {
        path = url.path
        ownsCopy = false
        (base, length) = try MappedFile.map(path: path, minimumLength: Self.minimumLength, tooShort: Self.tooShort)
    }

    deinit {
        if ownsCopy { UnsafeMutableRawPointer(mutating: base).deallocate() } else { MappedFile.unmap(base, length: length) }
    }

    /// Little-endian integer at `offset`, after checking the bytes lie inside the file.
    func integer<Value: FixedWidthInteger>(_ type: Value.Type, at offset: Int, what: String) throws -> Value {
        let size = MemoryLayout<Value>.size
        guard offset >= 0, offset <= length - size else {
            throw ModelError.malformedCheckpoint(
                path: path, reason: "zip archive: \(what) at byte \(offset) lies past the end of the \(length)-byte file")
        }
        return Value(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: Value.self))
    }

    func bytes(at offset: Int, count: Int, what: String) throws -> UnsafeRawBufferPointer {
        guard offset >= 0, count >= 0, offset <= length, count <= length - offset else {
            throw ModelError.malformedCheckpoint(
                path: path, reason: "zip archive: \(what) (\(count) bytes at \(offset)) lies past the end of the \(length)-byte file")
        }
        return UnsafeRawBufferPointer(start: base + offset, count: count)
    }
}

/// The central directory of a zip archive as `torch.save` writes it (stored entries, zip64 when large).
/// Every offset and length is checked against the file before it is used.
struct PyTorchCheckpointArchive {
    struct Entry: Equatable {
        let name: String
        let compressionMethod: UInt16
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    let mapping: PyTorchCheckpointMapping
    let entries: [String: Entry]

    private static let endOfDirectorySignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let zip64EndSignature: UInt32 = 0x0606_4B50
    private static let directorySignature: UInt32 = 0x0201_4B50
    private static let localHeaderSignature: UInt32 = 0x0403_4B50

    init(mapping: PyTorchCheckpointMapping) throws {
        self.mapping = mapping
        let path = mapping.path
        let endOffset = try Self.findEndOfDirectory(mapping)
        var entryCount = Int(try mapping.integer(UInt16.self, at: endOffset + 10, what: "entry count"))
        var directorySize = Int(try mapping.integer(UInt32.self, at: endOffset + 12, what: "directory size"))
        var directoryOffset = Int(try mapping.integer(UInt32.self, at: endOffset + 16, what: "directory offset"))
        if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            let locator = endOffset - 20
            guard try mapping.integer(UInt32.self, at: locator, what: "zip64 locator") == Self.zip64LocatorSignature else {
                throw ModelError.malformedCheckpoint(path: path, reason: "zip archive: zip64 sizes announced but no zip64 locator found")
            }
            let zip64End = try Self.checkedInt(try mapping.integer(UInt64.self, at: locator + 8, what: "zip64 record offset"), path)
            guard try mapping.integer(UInt32.self, at: zip64End, what: "zip64 record") == Self.zip64EndSignature else {
                throw ModelError.malformedCheckpoint(path: path, reason: "zip archive: no zip64 end record at byte \(zip64End)")
            }
            entryCount = try Self.checkedInt(try mapping.integer(UInt64.self, at: zip64End + 32, what: "zip64 entry count"), path)
            directorySize = try Self.checkedInt(try mapping.integer(UInt64.self, at: zip64End + 40, what: "zip64 directory size"), path)
            directoryOffset = try Self.checkedInt(try mapping.integer(UInt64.self, at: zip64End + 48, what: "zip64 directory offset"), path)
        }
        _ = try mapping.bytes(at: directoryOffset, count: directorySize, what: "central directory")
        // Each directory record takes at least 46 bytes: a larger count cannot be genuine.
        guard entryCount <= directorySize / 46 else {
            throw ModelError.malformedCheckpoint(
                path: path, reason: "zip archive: \(entryCount) entries cannot fit in a \(directorySize)-byte central directory")
        }
        var entries: [String: Entry] = [:]
        var cursor = directoryOffset
        let directoryEnd = directoryOffset + directorySize
        for index in 0..<entryCount {
            guard cursor <= directoryEnd - 46,
                  try mapping.integer(UInt32.self, at: cursor, what: "directory record") == Self.directorySignature else {
                throw ModelError.malformedCheckpoint(path: path, reason: "zip archive: directory record \(index) at byte \(cursor) is not a record")
            }
            let method = try mapping.integer(UInt16.self, at: cursor + 10, what: "compression method")
            var compressedSize = Int(try mapping.integer(UInt32.self, at: cursor + 20, what: "compressed size"))
            var size = Int(try mapping.integer(UInt32.self, at: cursor + 24, what: "size"))
            let nameLength = Int(try mapping.integer(UInt16.self, at: cursor + 28, what: "name length"))
            let extraLength = Int(try mapping.integer(UInt16.self, at: cursor + 30, what: "extra length"))
            let commentLength = Int(try mapping.integer(UInt16.self, at: cursor + 32, what: "comment length"))
            var localOffset = Int(try mapping.integer(UInt32.self, at: cursor + 42, what: "local header offset"))
            let recordEnd = cursor + 46 + nameLength + extraLength + commentLength
            guard recordEnd <= directoryEnd else {
                throw ModelError.malformedCheckpoint(path: path, reason: "zip archive: directory record \(index) overruns the central directory")
            }
            let nameBytes = try mapping.bytes(at: cursor + 46, count: nameLength, what: "entry name")
            let name = String(decoding: nameBytes, as: UTF8.self)
            // zip64 extended information replaces exactly the fields saturated at 0xFFFFFFFF, in this order.
            var extra = cursor + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let tag = try mapping.integer(UInt16.self, at: extra, what: "extra field tag")
                let fieldLength = Int(try mapping.integer(UInt16.self, at: extra + 2, what: "extra field length"))
                guard extra + 4 + fieldLength <= extraEnd else {
                    throw ModelError.malformedCheckpoint(path: path, reason: "zip archive: extra field of '\(name)' overruns its record")
                }
                if tag == 0x0001 {
                    var field = extra + 4
                    func next() throws -> Int {
                        guard field + 8 <= extra + 4 + fieldLength else {
                            throw ModelError.malformedCheckpoint(path: path, reason: "zip archive: zip64 field of '\(name)' is too short")
                        }
                        defer { field += 8 }
                        return try Self.checkedInt(try mapping.integer(UInt64.self, at: field, what: "zip64 field"), path)
                    }
                    if size == 0xFFFF_FFFF { size = try next() }
                    if compressedSize == 0xFFFF_FFFF { compressedSize = try next() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try next() }
                }
                extra += 4 + fieldLength
            }
            entries[name] = Entry(name: name, compressionMethod: method, compressedSize: compressedSize, size: size,
                                  localHeaderOffset: localOffset)
            cursor = recordEnd
        }
        self.entries = entries
    }

    private static func checkedInt(_ value: UInt64, _ path: String) throws -> Int {
        guard value <= UInt64(Int.max / 2) else {
            throw ModelError.malformedCheckpoint(path: path, reason: "zip archive: size or offset \(value) is implausibly large")
        }
        return Int(value)
    }

    private static func findEndOfDirectory(_ mapping: PyTorchCheckpointMapping) throws -> Int {
        // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end of the file.
        let earliest = max(0, mapping.length - 22 - 65535)
        var offset = mapping.length - 22
        while offset >= earliest {
            if mapping.base.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian == endOfDirectorySignature {
                return offset
            }
            offset -= 1
        }
        let prefix = mapping.base.load(as: UInt8.self)
        if prefix == 0x80 {
            throw ModelError.malformedCheckpoint(
                path: mapping.path,
                reason: "legacy (pre-zip) torch.save format is not supported: re-save it with PyTorch ≥ 1.6 torch.save, or convert it to safetensors")
        }
        throw ModelError.malformedCheckpoint(path: mapping.path, reason: "not a zip archive (no end-of-central-directory record)")
    }

    /// The bytes of a stored (uncompressed) entry, located through its local header.
    func contents(of entry: Entry) throws -> UnsafeRawBufferPointer {
        let path = mapping.path
        guard entry.compressionMethod == 0 else {
            throw ModelError.malformedCheckpoint(
                path: path, reason: "zip entry '\(entry.name)' uses compression method \(entry.compressionMethod); torch.save stores entries uncompressed (method 0)")
        }
        guard entry.compressedSize == entry.size else {
            throw ModelError.malformedCheckpoint(
                path: path, reason: "zip entry '\(entry.name)' is stored but its sizes differ (\(entry.compressedSize) vs \(entry.size))")
        }
        let header = entry.localHeaderOffset
        guard try mapping.integer(UInt32.self, at: header, what: "local header of '\(entry.name)'") == Self.localHeaderSignature else {
            throw ModelError.malformedCheckpoint(path: path, reason: "zip entry '\(entry.name)': no local header at byte \(header)")
        }
        let nameLength = Int(try mapping.integer(UInt16.self, at: header + 26, what: "local name length"))
        let extraLength = Int(try mapping.integer(UInt16.self, at: header + 28, what: "local extra length"))
        return try mapping.bytes(at: header + 30 + nameLength + extraLength, count: entry.size, what: "data of '\(entry.name)'")
    }
}
