import CLIPModels
import Foundation
import TensorCore

/// One gradient tensor per parameter, laid out exactly like the `ParameterStore` it mirrors: the
/// members of a fused group (q/k/v) share one storage, so the fused weight gradient is one GEMM and
/// each member's gradient is still addressable by its checkpoint name.
public final class GradientStore: @unchecked Sendable {
    public let names: [String]
    public let tensors: [String: Tensor]
    /// Whole-group views, keyed like `ParameterStore.fusedTensors` (by the first member's name).
    public let fusedTensors: [String: Tensor]

    public init(mirroring parameters: ParameterStore) {
        names = parameters.specifications.map(\.name)
        var tensors: [String: Tensor] = [:]
        var fused: [String: Tensor] = [:]
        var storageFor: [ObjectIdentifier: (source: Tensor, copy: TensorStorage)] = [:]
        for (name, group) in parameters.fusedTensors {
            let storage = TensorStorage(count: group.storage.count)
            storage.base.initialize(repeating: 0, count: storage.count)
            storageFor[ObjectIdentifier(group.storage)] = (group, storage)
            fused[name] = Tensor(storage: storage, offset: group.offset, shape: group.shape)
        }
        for specification in parameters.specifications {
            let parameter = parameters[specification.name]
            if let shared = storageFor[ObjectIdentifier(parameter.storage)] {
                tensors[specification.name] = Tensor(storage: shared.copy, offset: parameter.offset, shape: parameter.shape)
            } else {
                tensors[specification.name] = Tensor(zeros: parameter.shape)
            }
        }
        self.tensors = tensors
        fusedTensors = fused
    }

    public subscript(name: String) -> Tensor {
        guard let tensor = tensors[name] else { preconditionFailure("no gradient for parameter '\(name)'") }
        return tensor
    }

    public func fused(startingWith name: String) -> Tensor {
        guard let tensor = fusedTensors[name] else { preconditionFailure("no fused gradient group starts with '\(name)'") }
        return tensor
    }

    public func zero() {
        for name in names {
            let values = self[name].pointer
            Parallel.forRanges(count: self[name].count, minimumPerThread: 1 << 18) { start, end in
                (values + start).update(repeating: 0, count: end - start)
            }
        }
    }

    /// √(Σ g²) over the named parameters.
    public func globalNorm(of selected: [String]) -> Double {
        var squares = 0.0
        for name in selected {
            let tensor = self[name]
            for value in UnsafeBufferPointer(start: tensor.pointer, count: tensor.count) { squares += Double(value) * Double(value) }
        }
        return squares.squareRoot()
    }

    public func scale(_ selected: [String], by factor: Float) {
        for name in selected {
            let tensor = self[name]
            for index in 0..<tensor.count { tensor.pointer[index] *= factor }
        }
    }
}
