import Foundation

/// Owned, 64-byte aligned float storage shared by tensors that view it.
public final class TensorStorage: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}

/// A dense row-major float32 tensor. Like a PyTorch tensor it is a *view*: copies of a `Tensor`
/// share storage, and the in-place operations (named `…InPlace` or taking `into:`) are visible
/// through every view. Views let fused weights (q, k, v stacked into one matrix for one GEMM)
/// stay addressable by their checkpoint names.
public struct Tensor: @unchecked Sendable, CustomStringConvertible {
    public let shape: [Int]
    public let storage: TensorStorage
    public let offset: Int

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }
    public var pointer: UnsafeMutablePointer<Float> { storage.base + offset }

    public init(storage: TensorStorage, offset: Int = 0, shape: [Int]) {
        precondition(offset + shape.reduce(1, *) <= storage.count, "tensor view out of its storage")
        self.storage = storage
        self.offset = offset
        self.shape = shape
    }

    /// Uninitialised tensor (contents are whatever memory held): callers write every element.
    public init(uninitializedShape shape: [Int]) {
        self.init(storage: TensorStorage(count: shape.reduce(1, *)), shape: shape)
    }

    public init(zeros shape: [Int]) {
        self.init(uninitializedShape: shape)
        pointer.initialize(repeating: 0, count: count)
    }

    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "value count \(values.count) does not fill shape \(shape)")
        self.init(uninitializedShape: shape)
        values.withUnsafeBufferPointer { buffer in
            if let source = buffer.baseAddress { pointer.update(from: source, count: values.count) }
        }
    }

    public init(shape: [Int], generator: (Int) -> Float) {
        self.init(uninitializedShape: shape)
        for index in 0..<count { pointer[index] = generator(index) }
    }

    public var values: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public var description: String { "Tensor\(shape)" }

    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(storage: storage, offset: offset, shape: newShape)
    }

    /// Rows [start, start + length) along the first dimension, sharing storage.
    public func rows(_ start: Int, count length: Int) -> Tensor {
        precondition(rank >= 1 && start >= 0 && start + length <= shape[0], "row range out of \(shape)")
        let rowSize = shape.dropFirst().reduce(1, *)
        return Tensor(storage: storage, offset: offset + start * rowSize, shape: [length] + Array(shape.dropFirst()))
    }

    public func row(_ index: Int) -> [Float] {
        let rowSize = shape.dropFirst().reduce(1, *)
        return Array(UnsafeBufferPointer(start: pointer + index * rowSize, count: rowSize))
    }

    /// A deep copy with its own storage.
    public func copy() -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        result.pointer.update(from: pointer, count: count)
        return result
    }

    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy from \(other.shape) into \(shape)")
        pointer.update(from: other.pointer, count: count)
    }
}
