import Foundation

/// Element types of PyTorch storages, named by their legacy storage classes.
public enum PickleStorageType: String, Sendable, CaseIterable {
    case float32 = "FloatStorage", float16 = "HalfStorage", bfloat16 = "BFloat16Storage", float64 = "DoubleStorage"
    case int64 = "LongStorage", int32 = "IntStorage", int16 = "ShortStorage", int8 = "CharStorage"
    case uint8 = "ByteStorage", bool = "BoolStorage"

    public var elementSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }
}

/// A storage named by a persistent id: ('storage', torch.XStorage, key, location, element count).
struct PickleStorageReference: Equatable {
    let type: PickleStorageType
    let key: String
    let elementCount: Int
}

/// A tensor view rebuilt by `torch._utils._rebuild_tensor_v2`: never materialised by the unpickler.
struct PickleTensorReference: Equatable {
    let storage: PickleStorageReference
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

/// The only callables a state dict may reference; anything else is refused by name.
enum PickleCallable: Equatable {
    case rebuildTensor, rebuildTensorV2, rebuildParameter, rebuildParameterWithState, orderedDictionary
    case storageType(PickleStorageType)

    init?(module: String, name: String) {
        switch (module, name) {
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        case ("collections", "OrderedDict"): self = .orderedDictionary
        case ("torch", _):
            guard let type = PickleStorageType(rawValue: name) else { return nil }
            self = .storageType(type)
        default: return nil
        }
    }
}

/// Dictionaries and lists are mutable and shared through the memo, as in Python.
final class PickleDictionary {
    var items: [(key: PickleValue, value: PickleValue)] = []
}

final class PickleList {
    var items: [PickleValue] = []
}

/// The values a state-dict pickle can build. There is no "object" case: nothing is ever instantiated.
enum PickleValue {
    case none
    case boolean(Bool)
    case integer(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dictionary(PickleDictionary)
    case callable(PickleCallable)
    case storage(PickleStorageReference)
    case tensor(PickleTensorReference)

    var kind: String {
        switch self {
        case .none: return "None"
        case .boolean: return "bool"
        case .integer: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dictionary: return "dict"
        case .callable: return "global"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

/// A restricted unpickler for `torch.save` state dicts (protocols 2–5). It interprets only the opcodes
/// a state dict needs and resolves only the globals of `PickleCallable`; every other opcode or global is
/// an error naming it. It never executes code: "calling" an allowed global only records a tensor view.
struct PickleReader {
    let path: String
    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    private func failure(_ reason: String) -> ModelError {
        .malformedCheckpoint(path: path, reason: "pickle (data.pkl) at byte \(position): \(reason)")
    }

    private mutating func readByte() throws -> UInt8 {
        guard position < bytes.count else { throw failure("unexpected end of data") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func read(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - position else {
            throw failure("a \(count)-byte field runs past the end of the \(bytes.count)-byte pickle")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    private mutating func readInteger<Value: FixedWidthInteger>(_ type: Value.Type) throws -> Value {
        let field = try read(MemoryLayout<Value>.size)
        return Value(littleEndian: field.loadUnaligned(as: Value.self))
    }

    private mutating func readLine() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw failure("unterminated text line") }
        let line = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
        position = end + 1
        return line
    }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw failure("stack underflow") }
        if let mark = marks.last, stack.count < mark { throw failure("stack popped past a MARK") }
        return value
    }

    private mutating func popToMark() throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw failure("no MARK on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func string(_ count: Int) throws -> String {
        String(decoding: try read(count), as: UTF8.self)
    }

    private func resolve(module: String, name: String) throws -> PickleValue {
        guard let callable = PickleCallable(module: module, name: name) else {
            throw ModelError.malformedCheckpoint(
                path: path,
                reason: "refused pickle global '\(module).\(name)': only tensor rebuild functions, storage types and collections.OrderedDict are allowed (no code is ever executed)")
        }
        return .callable(callable)
    }

    /// Runs the pickle to its STOP opcode and returns the root value.
    mutating func read() throws -> PickleValue {
        while true {
            let opcode = try readByte()
            switch opcode {
            case 0x80: // PROTO
                let version = try readByte()
                guard version >= 2, version <= 5 else { throw failure("unsupported pickle protocol \(version)") }
            case 0x95: _ = try readInteger(UInt64.self) // FRAME: a length hint only
            case 0x2E: return try pop() // STOP
            case 0x28: marks.append(stack.count) // MARK
            case 0x7D: stack.append(.dictionary(PickleDictionary())) // EMPTY_DICT
            case 0x5D: stack.append(.list(PickleList())) // EMPTY_LIST
            case 0x29: stack.append(.tuple([])) // EMPTY_TUPLE
            case 0x4E: stack.append(.none) // NONE
            case 0x88: stack.append(.boolean(true)) // NEWTRUE
            case 0x89: stack.append(.boolean(false)) // NEWFALSE
            case 0x4B: stack.append(.integer(Int(try readByte()))) // BININT1
            case 0x4D: stack.append(.integer(Int(try readInteger(UInt16.self)))) // BININT2
            case 0x4A: stack.append(.integer(Int(try readInteger(Int32.self)))) // BININT
            case 0x8A: // LONG1: little-endian two's complement of n bytes
                let count = Int(try readByte())
                guard count <= 8 else { throw failure("integer of \(count) bytes is too large for a state dict") }
                let field = try read(count)
                var value: UInt64 = 0
                for (index, byte) in field.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
                if count > 0, count < 8, field[count - 1] & 0x80 != 0 { value |= ~0 << (8 * UInt64(count)) }
                stack.append(.integer(Int(Int64(bitPattern: value))))
            case 0x47: stack.append(.float(Double(bitPattern: UInt64(bigEndian: try read(8).loadUnaligned(as: UInt64.self))))) // BINFLOAT
            case 0x58: stack.append(.string(try string(Int(try readInteger(UInt32.self))))) // BINUNICODE
            case 0x8C: stack.append(.string(try string(Int(try readByte())))) // SHORT_BINUNICODE
            case 0x8D: // BINUNICODE8
                let count = try readInteger(UInt64.self)
                guard count <= UInt64(bytes.count) else { throw failure("string of \(count) bytes exceeds the pickle") }
                stack.append(.string(try string(Int(count))))
            case 0x55: stack.append(.string(try string(Int(try readByte())))) // SHORT_BINSTRING
            case 0x54: // BINSTRING
                let count = try readInteger(Int32.self)
                guard count >= 0 else { throw failure("negative string length \(count)") }
                stack.append(.string(try string(Int(count))))
            case 0x43: stack.append(.bytes(Array(try read(Int(try readByte()))))) // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(Array(try read(Int(try readInteger(UInt32.self)))))) // BINBYTES
            case 0x85: stack.append(.tuple([try pop()])) // TUPLE1
            case 0x86: let second = try pop(); stack.append(.tuple([try pop(), second])) // TUPLE2
            case 0x87: // TUPLE3
                let third = try pop(), second = try pop()
                stack.append(.tuple([try pop(), second, third]))
            case 0x74: stack.append(.tuple(try popToMark())) // TUPLE
            case 0x6C: // LIST
                let list = PickleList()
                list.items = try popToMark()
                stack.append(.list(list))
            case 0x64: // DICT
                let dictionary = PickleDictionary()
                try addPairs(try popToMark(), to: dictionary)
                stack.append(.dictionary(dictionary))
            case 0x71: try memoize(Int(try readByte())) // BINPUT
            case 0x72: try memoize(Int(try readInteger(UInt32.self))) // LONG_BINPUT
            case 0x94: try memoize(memo.count) // MEMOIZE
            case 0x68: try recall(Int(try readByte())) // BINGET
            case 0x6A: try recall(Int(try readInteger(UInt32.self))) // LONG_BINGET
            case 0x63: // GLOBAL
                let module = try readLine(), name = try readLine()
                stack.append(try resolve(module: module, name: name))
            case 0x93: // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw failure("STACK_GLOBAL needs two strings")
                }
                stack.append(try resolve(module: module, name: name))
            case 0x51: stack.append(try persistentLoad(try pop())) // BINPERSID
            case 0x52: // REDUCE
                let arguments = try pop()
                let callable = try pop()
                stack.append(try reduce(callable, arguments))
            case 0x62: // BUILD: object state is ignored (dict attributes such as `_metadata`, tensor hooks)
                _ = try pop()
                guard !stack.isEmpty else { throw failure("BUILD without an object") }
            case 0x73: // SETITEM
                let value = try pop(), key = try pop()
                guard case .dictionary(let dictionary) = stack.last else { throw failure("SETITEM on a non-dict") }
                dictionary.items.append((key, value))
            case 0x75: // SETITEMS
                let items = try popToMark()
                guard case .dictionary(let dictionary) = stack.last else { throw failure("SETITEMS on a non-dict") }
                try addPairs(items, to: dictionary)
            case 0x61: // APPEND
                let value = try pop()
                guard case .list(let list) = stack.last else { throw failure("APPEND on a non-list") }
                list.items.append(value)
            case 0x65: // APPENDS
                let items = try popToMark()
                guard case .list(let list) = stack.last else { throw failure("APPENDS on a non-list") }
                list.items += items
            case 0x30: _ = try pop() // POP
            case 0x32: // DUP
                guard let top = stack.last else { throw failure("DUP on an empty stack") }
                stack.append(top)
            default:
                throw failure(String(format: "opcode 0x%02X is not allowed in a state dict", opcode))
            }
        }
    }

    private mutating func memoize(_ index: Int) throws {
        guard let top = stack.last else { throw failure("memo store with an empty stack") }
        memo[index] = top
    }

    private mutating func recall(_ index: Int) throws {
        guard let value = memo[index] else { throw failure("memo entry \(index) was never stored") }
        stack.append(value)
    }

    private func addPairs(_ items: [PickleValue], to dictionary: PickleDictionary) throws {
        guard items.count % 2 == 0 else { throw failure("odd number of items for a dict") }
        for index in stride(from: 0, to: items.count, by: 2) { dictionary.items.append((items[index], items[index + 1])) }
    }

    private func persistentLoad(_ identifier: PickleValue) throws -> PickleValue {
        guard case .tuple(let fields) = identifier, fields.count == 5, case .string("storage") = fields[0],
              case .callable(.storageType(let type)) = fields[1], case .string(let key) = fields[2],
              case .integer(let count) = fields[4], count >= 0 else {
            throw failure("persistent id is not ('storage', torch.<Type>Storage, key, location, count)")
        }
        return .storage(PickleStorageReference(type: type, key: key, elementCount: count))
    }

    private func integers(_ value: PickleValue, _ what: String) throws -> [Int] {
        guard case .tuple(let items) = value else { throw failure("\(what) is a \(value.kind), expected a tuple") }
        return try items.map { item in
            guard case .integer(let number) = item, number >= 0 else { throw failure("\(what) holds a non-integer or negative value") }
            return number
        }
    }

    private func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .callable(let function) = callable else { throw failure("REDUCE on a \(callable.kind), not an allowed global") }
        guard case .tuple(let items) = arguments else { throw failure("REDUCE arguments are a \(arguments.kind), not a tuple") }
        switch function {
        case .rebuildTensor, .rebuildTensorV2:
            guard items.count >= 4, case .storage(let storage) = items[0], case .integer(let offset) = items[1], offset >= 0 else {
                throw failure("tensor rebuild needs (storage, offset, size, stride, …)")
            }
            let shape = try integers(items[2], "tensor size"), strides = try integers(items[3], "tensor stride")
            guard shape.count == strides.count, shape.count <= 16 else { throw failure("tensor size and stride disagree") }
            var elements = 1
            for extent in shape {
                let product = elements.multipliedReportingOverflow(by: extent)
                guard !product.overflow, product.partialValue <= 1 << 40 else { throw failure("tensor size \(shape) is implausibly large") }
                elements = product.partialValue
            }
            // The furthest element the view touches must lie inside its storage (checked without overflow).
            var last = offset
            for (extent, stride) in zip(shape, strides) where extent > 0 {
                let step = (extent - 1).multipliedReportingOverflow(by: stride)
                let sum = last.addingReportingOverflow(step.partialValue)
                guard !step.overflow, !sum.overflow else { throw failure("tensor view overflows") }
                last = sum.partialValue
            }
            let isEmpty = shape.contains(0)
            guard isEmpty || last < storage.elementCount else {
                throw failure("tensor view reaches element \(last) of a storage of \(storage.elementCount)")
            }
            return .tensor(PickleTensorReference(storage: storage, offset: offset, shape: shape, strides: strides))
        case .rebuildParameter, .rebuildParameterWithState:
            guard let first = items.first, case .tensor = first else { throw failure("parameter rebuild without a tensor") }
            return first
        case .orderedDictionary:
            let dictionary = PickleDictionary()
            if let first = items.first, case .list(let pairs) = first {
                for pair in pairs.items {
                    guard case .tuple(let elements) = pair, elements.count == 2 else { throw failure("OrderedDict item is not a pair") }
                    dictionary.items.append((elements[0], elements[1]))
                }
            }
            return .dictionary(dictionary)
        case .storageType(let type):
            throw failure("storage type \(type.rawValue) cannot be called")
        }
    }
}
