import CTensorKernels
import Foundation

/// A weight matrix [outputs, inputs] repacked once into the panel layout of `cs_packed_linear`, for
/// inference: OpenBLAS repacks its operand on every call, which costs as much as the product itself
/// when only tens of rows (one image's tokens, one query's words) go through.
public final class PackedMatrix: @unchecked Sendable {
    public let outputs: Int
    public let inputs: Int
    let panelWidth: Int
    let storage: TensorStorage

    public init(_ weight: Tensor) {
        precondition(weight.rank == 2, "PackedMatrix needs a 2-D weight, got \(weight.shape)")
        outputs = weight.shape[0]
        inputs = weight.shape[1]
        panelWidth = cs_packed_panel_width()
        let panels = (outputs + panelWidth - 1) / panelWidth
        storage = TensorStorage(count: panels * panelWidth * inputs)
        cs_pack_weights(weight.pointer, outputs, inputs, storage.base)
    }

    var panelCount: Int { (outputs + panelWidth - 1) / panelWidth }
}

extension Operations {
    /// Up to this many rows `linear(_:packed:…)` uses the packed kernel, above it OpenBLAS on the
    /// original weight. `CLIPSEARCH_PACKED_ROWS` overrides it (for measuring the crossover).
    public static let packedRowLimit: Int = {
        if let text = ProcessInfo.processInfo.environment["CLIPSEARCH_PACKED_ROWS"], let value = Int(text) { return value }
        return 512
    }()

    /// y = x · weightᵀ + bias with the weight's packed copy (same result as `linear(_:weight:bias:)` up to rounding).
    public static func linear(_ x: Tensor, packed: PackedMatrix, bias: Tensor?, into output: Tensor) {
        let m = x.shape[0], k = x.shape[1], n = packed.outputs
        precondition(packed.inputs == k && output.count == m * n, "linear: \(x.shape) · packed [\(n), \(packed.inputs)]ᵀ")
        let input = x.pointer, weights = packed.storage.base, biasPointer = bias?.pointer, result = output.pointer
        withExtendedLifetime((x, packed, bias, output)) {
            Parallel.forRanges(count: packed.panelCount, minimumPerThread: 2) { start, end in
                cs_packed_linear(input, m, k, weights, n, start, end, biasPointer, result, n)
            }
        }
    }

    /// Chooses the packed kernel or OpenBLAS by row count.
    public static func linear(_ x: Tensor, weight: Tensor, packed: PackedMatrix?, bias: Tensor?, into output: Tensor) {
        if let packed, x.shape[0] <= packedRowLimit {
            linear(x, packed: packed, bias: bias, into: output)
        } else {
            linear(x, weight: weight, bias: bias, into: output, streaming: false)
        }
    }

    public static func linear(_ x: Tensor, weight: Tensor, packed: PackedMatrix?, bias: Tensor?) -> Tensor {
        let output = Tensor(uninitializedShape: [x.shape[0], weight.shape[0]])
        linear(x, weight: weight, packed: packed, bias: bias, into: output)
        return output
    }
}
