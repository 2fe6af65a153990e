import Foundation

/// A read-only, memory-mapped safetensors file: an 8-byte little-endian header length, a JSON
/// header mapping names to dtype/shape/byte range, then the raw little-endian data.
public final class SafeTensorsFile: @unchecked Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let dataType: String
        public let shape: [Int]
        public let byteRange: Range<Int>
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let mapping: UnsafeRawPointer
    private let mappedLength: Int
    private let dataStart: Int

    public init(fileAt url: URL) throws {
        path = url.path
        let (pointer, length) = try MappedFile.map(path: path, minimumLength: 8) {
            "file has \($0) bytes, shorter than the 8-byte header length"
        }
        mapping = pointer
        mappedLength = length
        do {
            let headerLength = Int(clamping: mapping.loadUnaligned(as: UInt64.self).littleEndian)
            guard headerLength > 0, headerLength <= 100_000_000, 8 + headerLength <= length else {
                throw ModelError.malformedCheckpoint(
                    path: path, reason: "header length \(headerLength) does not fit in a file of \(length) bytes")
            }
            dataStart = 8 + headerLength
            let headerData = Data(bytes: mapping + 8, count: headerLength)
            (entries, metadata) = try Self.parseHeader(headerData, path: path, dataLength: length - dataStart)
        } catch {
            MappedFile.unmap(pointer, length: length)
            throw error
        }
    }

    deinit { MappedFile.unmap(mapping, length: mappedLength) }

    private static func parseHeader(_ data: Data, path: String, dataLength: Int) throws -> ([String: Entry], [String: String]) {
        guard let object = try? JSONSerialization.jsonObject(with: data), let header = object as? [String: Any] else {
            throw ModelError.malformedCheckpoint(path: path, reason: "header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                for (key, item) in (value as? [String: Any]) ?? [:] { metadata[key] = "\(item)" }
                continue
            }
            guard let fields = value as? [String: Any],
                  let dataType = fields["dtype"] as? String,
                  let shapeValues = fields["shape"] as? [Any],
                  let offsets = fields["data_offsets"] as? [Any], offsets.count == 2
            else {
                throw ModelError.malformedCheckpoint(path: path, reason: "entry '\(name)' lacks dtype, shape or data_offsets")
            }
            let shape = shapeValues.compactMap { ($0 as? NSNumber)?.intValue }
            let bounds = offsets.compactMap { ($0 as? NSNumber)?.intValue }
            guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }), bounds.count == 2,
                  bounds[0] >= 0, bounds[1] >= bounds[0] else {
                throw ModelError.malformedCheckpoint(path: path, reason: "entry '\(name)' has an invalid shape or data_offsets")
            }
            if let elementSize = elementSize(of: dataType) {
                let (elements, overflow) = shape.reduce((1, false)) { partial, dimension in
                    let product = partial.0.multipliedReportingOverflow(by: dimension)
                    return (product.partialValue, partial.1 || product.overflow)
                }
                guard !overflow, elements * elementSize == bounds[1] - bounds[0] else {
                    throw ModelError.malformedCheckpoint(
                        path: path, reason: "entry '\(name)' spans \(bounds[1] - bounds[0]) bytes but shape \(shape) of \(dataType) needs \(elements * elementSize)")
                }
            }
            guard bounds[1] <= dataLength else {
                throw ModelError.truncatedCheckpoint(path: path, tensor: name, needed: bounds[1], available: dataLength)
            }
            entries[name] = Entry(name: name, dataType: dataType, shape: shape, byteRange: bounds[0]..<bounds[1])
        }
        return (entries, metadata)
    }

    static func elementSize(of dataType: String) -> Int? {
        switch dataType {
        case "F32", "I32", "U32": return 4
        case "F16", "BF16", "I16", "U16": return 2
        case "F64", "I64", "U64": return 8
        case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2": return 1
        default: return nil
        }
    }

    /// Converts a tensor's data to float32 into `destination` (which holds at least `count` floats).
    public func readFloats(_ entry: Entry, into destination: UnsafeMutablePointer<Float>) throws {
        let source = mapping + dataStart + entry.byteRange.lowerBound
        let count = entry.shape.reduce(1, *)
        switch entry.dataType {
        case "F32":
            // Data is only 8-byte aligned in general: copy bytes, not typed loads.
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
            #if _endian(big)
            for index in 0..<count { destination[index] = Float(bitPattern: destination[index].bitPattern.byteSwapped) }
            #endif
        case "F16":
            for index in 0..<count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
                destination[index] = Float(Float16(bitPattern: bits))
            }
        case "BF16":
            for index in 0..<count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
                destination[index] = Float(bitPattern: UInt32(bits) << 16)
            }
        case "F64":
            for index in 0..<count {
                let bits = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
                destination[index] = Float(Double(bitPattern: bits))
            }
        default:
            throw ModelError.unsupportedDataType(path: path, tensor: entry.name, dataType: entry.dataType)
        }
    }
}

/// Writes float32 tensors as a safetensors file (for checkpoints ClipSearch saves).
public enum SafeTensorsWriter {
    public static func write(_ tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)],
                             metadata: [String: String] = ["format": "pt"], to url: URL) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for tensor in tensors {
            let bytes = tensor.values.count * 4
            header[tensor.name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + headerData.count) % 8 != 0 { headerData.append(0x20) }
        var output = Data(capacity: 8 + headerData.count + offset)
        withUnsafeBytes(of: UInt64(headerData.count).littleEndian) { output.append(contentsOf: $0) }
        output.append(headerData)
        for tensor in tensors {
            output.append(UnsafeBufferPointer(start: UnsafeRawPointer(tensor.values.baseAddress!)
                .assumingMemoryBound(to: UInt8.self), count: tensor.values.count * 4))
        }
        try output.write(to: url, options: .atomic)
    }
}
