import Foundation
import TensorCore

/// One parameter a model expects, by its checkpoint name.
public struct ParameterSpecification: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public init(_ name: String, _ shape: [Int]) {
        self.name = name
        self.shape = shape
    }
}

/// The model's parameters as a flat tree keyed by checkpoint names ("vision_model.encoder.layers.0.mlp.fc1.weight").
/// Parameters listed together in a fused group share one contiguous storage, stacked along the first
/// dimension, so q/k/v can run as one GEMM while each stays addressable (and trainable) by its own name.
public final class ParameterStore: @unchecked Sendable {
    public let specifications: [ParameterSpecification]
    public private(set) var tensors: [String: Tensor]
    /// Views onto each fused group's whole storage, keyed by the group's first member name.
    public private(set) var fusedTensors: [String: Tensor]

    init(specifications: [ParameterSpecification], fusedGroups: [[String]]) {
        self.specifications = specifications
        tensors = [:]
        fusedTensors = [:]
        let byName = Dictionary(uniqueKeysWithValues: specifications.map { ($0.name, $0) })
        var grouped = Set<String>()
        for group in fusedGroups {
            let members = group.compactMap { byName[$0] }
            guard members.count == group.count, let first = members.first else { continue }
            let rowSize = first.shape.dropFirst().reduce(1, *)
            let totalRows = members.reduce(0) { $0 + $1.shape[0] }
            let storage = TensorStorage(count: totalRows * rowSize)
            var offset = 0
            for member in members {
                tensors[member.name] = Tensor(storage: storage, offset: offset, shape: member.shape)
                offset += member.shape.reduce(1, *)
                grouped.insert(member.name)
            }
            fusedTensors[first.name] = Tensor(storage: storage, shape: [totalRows] + Array(first.shape.dropFirst()))
        }
        for specification in specifications where !grouped.contains(specification.name) {
            tensors[specification.name] = Tensor(uninitializedShape: specification.shape)
        }
    }

    /// A parameter by name. Model code asks only for names it specified, so absence is a programming error.
    public subscript(name: String) -> Tensor {
        guard let tensor = tensors[name] else { preconditionFailure("parameter '\(name)' was never specified") }
        return tensor
    }

    public func fused(startingWith name: String) -> Tensor {
        guard let tensor = fusedTensors[name] else { preconditionFailure("no fused group starts with '\(name)'") }
        return tensor
    }

    /// Reads every specified parameter from a checkpoint, checking names and shapes.
    /// `checkpointName` maps a specified name to the checkpoint's key (the family's sanitize step).
    public static func load(
        from file: SafeTensorsFile, specifications: [ParameterSpecification], fusedGroups: [[String]] = [],
        checkpointName: (String) -> String = { $0 }
    ) throws -> ParameterStore {
        let store = ParameterStore(specifications: specifications, fusedGroups: fusedGroups)
        for specification in specifications {
            let key = checkpointName(specification.name)
            guard let entry = file.entries[key] else {
                throw ModelError.missingTensor(path: file.path, tensor: key)
            }
            guard entry.shape == specification.shape || (entry.shape.reduce(1, *) == specification.shape.reduce(1, *)
                    && entry.shape.filter({ $0 != 1 }) == specification.shape.filter({ $0 != 1 })) else {
                throw ModelError.shapeMismatch(path: file.path, tensor: key, expected: specification.shape, actual: entry.shape)
            }
            try file.readFloats(entry, into: store[specification.name].pointer)
        }
        return store
    }

    /// Seeded random parameters (normal, std 0.02; LayerNorm gains near 1), for benchmarks and tests.
    public static func random(specifications: [ParameterSpecification], fusedGroups: [[String]] = [], seed: UInt64) -> ParameterStore {
        let store = ParameterStore(specifications: specifications, fusedGroups: fusedGroups)
        var generator = SeededGenerator(seed: seed)
        for specification in specifications {
            let tensor = store[specification.name]
            // CLIP's "layer_norm1.weight", "pre_layrnorm.weight", "post_layernorm.weight" and BERT's "LayerNorm.weight".
            let name = specification.name.lowercased()
            let isGain = name.hasSuffix("norm.weight") || name.contains("layer_norm") && name.hasSuffix(".weight")
            for index in 0..<tensor.count {
                let noise = generator.nextNormal()
                tensor.pointer[index] = isGain ? 1 + 0.1 * noise : 0.02 * noise
            }
        }
        if let scale = store.tensors["logit_scale"] { scale.pointer[0] = log(1 / 0.07) }
        return store
    }

    /// Every parameter as float32 tensors in specification order (for saving checkpoints).
    public var orderedTensors: [(name: String, tensor: Tensor)] {
        specifications.map { ($0.name, self[$0.name]) }
    }
}

/// SplitMix64: a small, fast, seedable generator (the system generator is a syscall per value).
/// Its whole state is one value, so runs are reproducible and resumable.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Standard normal by Box–Muller.
    public mutating func nextNormal() -> Float {
        let u1 = Double(next() >> 11) * 0x1.0p-53 + 0x1.0p-54
        let u2 = Double(next() >> 11) * 0x1.0p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
