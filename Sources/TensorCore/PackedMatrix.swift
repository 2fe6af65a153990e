import CTensorKernels
import Foundation

/// How inference matrix products multiply. Training and OpenBLAS products are always fp32.
public enum MatrixPrecision: String, Sendable, CaseIterable {
    /// fp32 multiply-adds (AVX-512/AVX2 kernels and OpenBLAS).
    case float32 = "fp32"
    /// AMX tiles, each operand split into two bf16 numbers (hi·hi + hi·lo + lo·hi): within a few
    /// 1e-6 of fp32 on the parity fixtures, 2–3× faster where the CPU has AMX.
    case bfloat16x3 = "bf16x3"
    /// AMX tiles, one bf16 pass: fastest, ~3 significant digits per product (cosine to fp32 ≥ 0.999).
    case bfloat16 = "bf16"

    /// True when the CPU has AMX-BF16 and Linux granted the tile state to this process.
    public static let tilesAvailable: Bool = cs_amx_available() != 0

    /// The precision new packed weights get: `CLIPSEARCH_PRECISION` when set, else bf16x3 on CPUs
    /// with AMX, else fp32. Commands set it from `--precision` before loading a model.
    nonisolated(unsafe) public static var current: MatrixPrecision = {
        if let text = ProcessInfo.processInfo.environment["CLIPSEARCH_PRECISION"], let value = MatrixPrecision(rawValue: text) {
            return value
        }
        return tilesAvailable ? .bfloat16x3 : .float32
    }()

    /// What a request becomes on this CPU: the bf16 modes need AMX and fall back to fp32 without it.
    public var effective: MatrixPrecision { self == .float32 || Self.tilesAvailable ? self : .float32 }

    /// Inside `MatrixPrecision.$productLimit.withValue(.bfloat16) { … }` tile products on bf16x3
    /// weights take one bf16 pass instead of three (the weights keep both planes, so nothing is
    /// repacked). For work that chooses speed over the last digits: video frames
    /// (`--video-precision`, ~2e-3 per element). fp32 weights are never affected.
    @TaskLocal public static var productLimit: MatrixPrecision?

    /// Tile passes for weights packed at this precision under the current `productLimit`.
    var tilePasses: Int32 {
        self == .bfloat16 || Self.productLimit == .bfloat16 ? 1 : 3
    }
}

/// A weight matrix [outputs, inputs] repacked once for inference: into the panel layout of
/// `cs_packed_linear` (fp32; OpenBLAS repacks its operand on every call, which costs as much as the
/// product itself when only tens of rows go through), or into AMX tiles (bf16 hi and lo planes).
public final class PackedMatrix: @unchecked Sendable {
    public let outputs: Int
    public let inputs: Int
    public let precision: MatrixPrecision
    let panelWidth: Int
    let storage: TensorStorage

    public init(_ weight: Tensor, precision requested: MatrixPrecision = .current) {
        precondition(weight.rank == 2, "PackedMatrix needs a 2-D weight, got \(weight.shape)")
        outputs = weight.shape[0]
        inputs = weight.shape[1]
        precision = requested.effective
        if precision == .float32 {
            panelWidth = cs_packed_panel_width()
            let panels = (outputs + panelWidth - 1) / panelWidth
            storage = TensorStorage(count: panels * panelWidth * inputs)
            cs_pack_weights(weight.pointer, outputs, inputs, storage.base)
        } else {
            panelWidth = 32
            let halves = cs_amx_packed_count(outputs, inputs)
            storage = TensorStorage(count: (halves + 1) / 2)
            storage.base.withMemoryRebound(to: UInt16.self, capacity: halves) { cs_amx_pack_weights(weight.pointer, outputs, inputs, $0) }
        }
    }

    var panelCount: Int { (outputs + panelWidth - 1) / panelWidth }
}

extension Operations {
    /// Up to this many rows `linear(_:packed:…)` uses the fp32 packed kernel, above it OpenBLAS on the
    /// original weight. `CLIPSEARCH_PACKED_ROWS` overrides it (for measuring the crossover).
    public static let packedRowLimit: Int = {
        if let text = ProcessInfo.processInfo.environment["CLIPSEARCH_PACKED_ROWS"], let value = Int(text) { return value }
        return 512
    }()

    /// y = x · weightᵀ + bias with the weight's packed copy (same result as `linear(_:weight:bias:)` up to rounding).
    public static func linear(_ x: Tensor, packed: PackedMatrix, bias: Tensor?, into output: Tensor) {
        let m = x.shape[0], k = x.shape[1], n = packed.outputs
        precondition(packed.inputs == k && output.count == m * n, "linear: \(x.shape) · packed [\(n), \(packed.inputs)]ᵀ")
        if packed.precision != .float32 {
            tileLinear(x, packed: packed, bias: bias, into: output)
            return
        }
        let input = x.pointer, weights = packed.storage.base, biasPointer = bias?.pointer, result = output.pointer
        withExtendedLifetime((x, packed, bias, output)) {
            Parallel.forRanges(count: packed.panelCount, minimumPerThread: 2) { start, end in
                cs_packed_linear(input, m, k, weights, n, start, end, biasPointer, result, n)
            }
        }
    }

    /// The AMX path: the activations are split into bf16 hi and lo planes once, then each thread
    /// multiplies its share of the 32-column weight blocks.
    private static func tileLinear(_ x: Tensor, packed: PackedMatrix, bias: Tensor?, into output: Tensor) {
        let m = x.shape[0], k = x.shape[1], n = packed.outputs
        let plane = cs_amx_activation_count(m, k)
        let planes = TensorStorage(count: plane)  // two uint16 planes in the space of `plane` floats
        let passes = packed.precision.tilePasses
        let input = x.pointer, biasPointer = bias?.pointer, result = output.pointer
        withExtendedLifetime((x, packed, bias, output, planes)) {
            planes.base.withMemoryRebound(to: UInt16.self, capacity: 2 * plane) { high in
                let low = high + plane
                Parallel.forRanges(count: m, minimumPerThread: 64) { start, end in
                    cs_amx_convert_rows(input, m, k, k, start, end, high, low)
                }
                packed.storage.base.withMemoryRebound(to: UInt16.self, capacity: 2 * packed.storage.count) { weights in
                    Parallel.forRanges(count: packed.panelCount, minimumPerThread: 1) { start, end in
                        cs_amx_linear(high, low, m, k, weights, n, start, end, biasPointer, result, n, passes)
                    }
                }
            }
        }
    }

    /// Chooses the tile kernel, the packed fp32 kernel or OpenBLAS by precision and row count.
    public static func linear(_ x: Tensor, weight: Tensor, packed: PackedMatrix?, bias: Tensor?, into output: Tensor) {
        if let packed, packed.precision != .float32 || x.shape[0] <= packedRowLimit {
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

/// A matrix whose rows are the activation-side operand of the AMX kernel (bf16 hi and lo planes),
/// for products where the constant matrix sits on the left: a convolution's weights times its
/// im2col columns.
final class TileOperand: @unchecked Sendable {
    let rows: Int
    let depth: Int
    let planeCount: Int
    let planes: TensorStorage

    init(rowsOf matrix: Tensor) {
        rows = matrix.shape[0]
        depth = matrix.shape[1]
        planeCount = cs_amx_activation_count(rows, depth)
        planes = TensorStorage(count: planeCount)
        let source = matrix.pointer, rows = rows, depth = depth, planeCount = planeCount
        planes.base.withMemoryRebound(to: UInt16.self, capacity: 2 * planeCount) { high in
            Parallel.forRanges(count: rows, minimumPerThread: 64) { start, end in
                cs_amx_convert_rows(source, rows, depth, depth, start, end, high, high + planeCount)
            }
        }
    }

    /// y[i, j] = row i · column j for the `count` columns of a depth-major block (element (j, d) at
    /// columns[d · ld + j]), written `ldy` apart.
    func multiply(depthMajor columns: UnsafePointer<Float>, depth: Int, count: Int, ld: Int, precision: MatrixPrecision,
                  into y: UnsafeMutablePointer<Float>, ldy: Int) {
        precondition(depth == self.depth, "tile product: depth \(depth) against \(self.depth)")
        let packedCount = cs_amx_packed_count(count, depth)
        let packed = TensorStorage(count: (packedCount + 1) / 2)
        let blocks = (count + 31) / 32, rows = rows, planeCount = planeCount
        let passes = precision.tilePasses
        withExtendedLifetime((packed, planes)) {
            packed.base.withMemoryRebound(to: UInt16.self, capacity: packedCount) { weights in
                planes.base.withMemoryRebound(to: UInt16.self, capacity: 2 * planeCount) { high in
                    Parallel.forRanges(count: blocks, minimumPerThread: 1) { start, end in
                        cs_amx_pack_transposed(columns, depth, count, ld, start, end, weights)
                        cs_amx_linear(high, high + planeCount, rows, depth, weights, count, start, end, nil, y, ldy, passes)
                    }
                }
            }
        }
    }
}
