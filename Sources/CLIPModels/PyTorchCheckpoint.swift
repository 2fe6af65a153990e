import Foundation

/// Named tensors a checkpoint holds, whatever its file format, converted to float32 on read.
public protocol CheckpointTensorSource: AnyObject, Sendable {
    var path: String { get }
    /// Tensor names and shapes.
    var tensorShapes: [String: [Int]] { get }
    /// Writes the named tensor, row-major, as float32 into `destination` (room for every element).
    func readFloats(named name: String, into destination: UnsafeMutablePointer<Float>) throws
}

extension SafeTensorsFile: CheckpointTensorSource {
    public var tensorShapes: [String: [Int]] { entries.mapValues(\.shape) }

    public func readFloats(named name: String, into destination: UnsafeMutablePointer<Float>) throws {
        guard let entry = entries[name] else { throw ModelError.missingTensor(path: path, tensor: name) }
        try readFloats(entry, into: destination)
    }
}

/// A PyTorch `torch.save` checkpoint (`pytorch_model.bin`, `open_clip_pytorch_model.bin`, `.pt`) read
/// without Python: the zip archive is memory-mapped, `data.pkl` runs through a restricted unpickler
/// (see `PickleReader`), and each tensor stays a view onto its `data/<key>` storage until read.
public final class PyTorchCheckpoint: CheckpointTensorSource, @unchecked Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let storageType: PickleStorageType
        public let shape: [Int]
        public let strides: [Int]
        /// Element offset into the storage.
        public let offset: Int
        let storageKey: String
    }

    public let path: String
    public let entries: [String: Entry]
    private let archive: PyTorchCheckpointArchive
    private let storages: [String: UnsafeRawBufferPointer]

    public var tensorShapes: [String: [Int]] { entries.mapValues(\.shape) }

    public convenience init(fileAt url: URL) throws {
        try self.init(mapping: try PyTorchCheckpointMapping(fileAt: url))
    }

    /// Reads a checkpoint held in memory; `path` names it in errors.
    public convenience init(data: Data, path: String) throws {
        try self.init(mapping: try PyTorchCheckpointMapping(data: data, path: path))
    }

    init(mapping: PyTorchCheckpointMapping) throws {
        path = mapping.path
        archive = try PyTorchCheckpointArchive(mapping: mapping)
        let pickleNames = archive.entries.keys.filter { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }.sorted()
        guard let pickleName = pickleNames.first else {
            throw ModelError.malformedCheckpoint(path: path, reason: "zip archive has no data.pkl: not a torch.save checkpoint")
        }
        guard pickleNames.count == 1, let pickleEntry = archive.entries[pickleName] else {
            throw ModelError.malformedCheckpoint(path: path, reason: "zip archive has several data.pkl entries (\(pickleNames.joined(separator: ", ")))")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        if let orderEntry = archive.entries[prefix + "byteorder"] {
            let order = String(decoding: try archive.contents(of: orderEntry), as: UTF8.self)
            guard order == "little" else {
                throw ModelError.malformedCheckpoint(path: path, reason: "byteorder is '\(order)'; only little-endian checkpoints are supported")
            }
        }
        var reader = PickleReader(bytes: try archive.contents(of: pickleEntry), path: path)
        let root = try reader.read()
        let references = try Self.tensorReferences(root, path: path)

        var storages: [String: UnsafeRawBufferPointer] = [:]
        var entries: [String: Entry] = [:]
        for (name, reference) in references {
            let storage = reference.storage
            if storages[storage.key] == nil {
                let storageName = prefix + "data/" + storage.key
                guard let storageEntry = archive.entries[storageName] else {
                    throw ModelError.malformedCheckpoint(path: path, reason: "tensor '\(name)' needs storage '\(storageName)', which the archive lacks")
                }
                let bytes = try archive.contents(of: storageEntry)
                let (needed, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.type.elementSize)
                guard !overflow, needed <= bytes.count else {
                    throw ModelError.truncatedCheckpoint(path: path, tensor: name, needed: needed, available: bytes.count)
                }
                storages[storage.key] = bytes
            }
            entries[name] = Entry(name: name, storageType: storage.type, shape: reference.shape, strides: reference.strides,
                                  offset: reference.offset, storageKey: storage.key)
        }
        self.entries = entries
        self.storages = storages
    }

    /// The tensors of a state dict: the root dict, or its "state_dict" / "model" entry (training
    /// checkpoints), with the "module." prefix DistributedDataParallel adds removed.
    private static func tensorReferences(_ root: PickleValue, path: String) throws -> [String: PickleTensorReference] {
        guard case .dictionary(var dictionary) = root else {
            throw ModelError.malformedCheckpoint(path: path, reason: "pickle root is a \(root.kind), expected a state dict")
        }
        for wrapper in ["state_dict", "model"] {
            if let inner = dictionary.items.first(where: { if case .string(wrapper) = $0.key { return true } else { return false } }),
               case .dictionary(let nested) = inner.value {
                dictionary = nested
                break
            }
        }
        var result: [String: PickleTensorReference] = [:]
        for (key, value) in dictionary.items {
            guard case .string(let name) = key, case .tensor(let reference) = value else { continue }
            result[name] = reference
        }
        if !result.isEmpty, result.keys.allSatisfy({ $0.hasPrefix("module.") }) {
            result = Dictionary(uniqueKeysWithValues: result.map { (String($0.key.dropFirst("module.".count)), $0.value) })
        }
        return result
    }

    public func readFloats(named name: String, into destination: UnsafeMutablePointer<Float>) throws {
        guard let entry = entries[name], let storage = storages[entry.storageKey], let base = storage.baseAddress else {
            throw ModelError.missingTensor(path: path, tensor: name)
        }
        let count = entry.shape.reduce(1, *)
        guard count > 0 else { return }
        let size = entry.storageType.elementSize
        let convert = Self.converter(entry.storageType)
        // Row-major contiguous views convert in one pass; other views (transposes, slices) gather.
        var expected = 1, contiguous = true
        for (extent, stride) in zip(entry.shape, entry.strides).reversed() where extent > 1 {
            if stride != expected { contiguous = false }
            expected *= extent
        }
        if contiguous {
            let start = base + entry.offset * size
            if entry.storageType == .float32 {
                UnsafeMutableRawPointer(destination).copyMemory(from: start, byteCount: count * 4)
                return
            }
            for index in 0..<count { destination[index] = convert(start + index * size) }
            return
        }
        let rank = entry.shape.count
        var coordinates = [Int](repeating: 0, count: rank)
        var element = entry.offset
        for index in 0..<count {
            destination[index] = convert(base + element * size)
            var axis = rank - 1
            while axis >= 0 {
                coordinates[axis] += 1
                element += entry.strides[axis]
                if coordinates[axis] < entry.shape[axis] { break }
                element -= entry.strides[axis] * coordinates[axis]
                coordinates[axis] = 0
                axis -= 1
            }
        }
    }

    private static func converter(_ type: PickleStorageType) -> (UnsafeRawPointer) -> Float {
        switch type {
        case .float32: return { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
        case .float16: return { Float(Float16(bitPattern: UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self)))) }
        case .bfloat16: return { Float(bitPattern: UInt32(UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self))) << 16) }
        case .float64: return { Float(Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)))) }
        case .int64: return { Float(Int64(littleEndian: $0.loadUnaligned(as: Int64.self))) }
        case .int32: return { Float(Int32(littleEndian: $0.loadUnaligned(as: Int32.self))) }
        case .int16: return { Float(Int16(littleEndian: $0.loadUnaligned(as: Int16.self))) }
        case .int8: return { Float($0.load(as: Int8.self)) }
        case .uint8, .bool: return { Float($0.load(as: UInt8.self)) }
        }
    }
}
