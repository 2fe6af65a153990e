import CTensorKernels
import Foundation

/// Activation functions named as in Hugging Face configs (`hidden_act`).
public enum Activation: String, Sendable, CaseIterable {
    case quickGELU = "quick_gelu"
    case gelu = "gelu"
    case geluTanh = "gelu_new"
    case geluPyTorchTanh = "gelu_pytorch_tanh"
    case relu = "relu"
}

/// Forward operations on the tensor core. Each reads its inputs and writes a new tensor (or the
/// tensor passed as `into:`); a training module pairs each with its backward.
public enum Operations {
    static let elementsPerThread = 1 << 15
    static let rowsPerThread = 16

    /// y = x · weightᵀ + bias, with x [M, K], weight [N, K], bias [N] → y [M, N].
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let output = Tensor(uninitializedShape: [x.shape[0], weight.shape[0]])
        linear(x, weight: weight, bias: bias, into: output)
        return output
    }

    /// Up to this many rows, `linear` streams the weights through its own kernel instead of GEMM.
    /// (`CLIPSEARCH_STREAMING_ROWS` overrides it, for benchmarking the crossover.)
    public static let streamingRowLimit: Int = {
        if let text = ProcessInfo.processInfo.environment["CLIPSEARCH_STREAMING_ROWS"], let value = Int(text) { return value }
        return 16
    }()

    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into output: Tensor, streaming: Bool? = nil) {
        let m = x.shape[0], k = x.shape[1], n = weight.shape[0]
        precondition(weight.shape[1] == k && output.count == m * n, "linear: \(x.shape) · \(weight.shape)ᵀ")
        if streaming ?? (m <= streamingRowLimit) {
            let input = x.pointer, weights = weight.pointer, biasPointer = bias?.pointer, result = output.pointer
            Parallel.forRanges(count: (n + 3) / 4, minimumPerThread: 16) { start, end in
                cs_linear_rows(input, m, k, weights, start * 4, min(n, end * 4), biasPointer, result, n)
            }
            return
        }
        if let bias {
            cs_broadcast_row(output.pointer, bias.pointer, m, n)
        }
        BLAS.sgemm(
            transposeA: false, transposeB: true, m: m, n: n, k: k,
            a: x.pointer, lda: k, b: weight.pointer, ldb: k, beta: bias == nil ? 0 : 1, c: output.pointer, ldc: n)
    }

    /// C = op(A) · op(B) for 2-D tensors.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition((transposeB ? b.shape[1] : b.shape[0]) == k, "matmul: \(a.shape) · \(b.shape)")
        let output = Tensor(uninitializedShape: [m, n])
        BLAS.sgemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
            a: a.pointer, lda: a.shape[1], b: b.pointer, ldb: b.shape[1], c: output.pointer, ldc: n)
        return output
    }

    /// LayerNorm over the last dimension.
    public static func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
        let output = Tensor(uninitializedShape: x.shape)
        let dim = x.shape[x.rank - 1]
        let rows = x.count / dim
        let input = x.pointer, result = output.pointer, gamma = weight.pointer, beta = bias.pointer
        Parallel.forRanges(count: rows, minimumPerThread: rowsPerThread) { start, end in
            cs_layer_norm(input + start * dim, result + start * dim, gamma, beta, end - start, dim, epsilon)
        }
        return output
    }

    public static func activateInPlace(_ x: Tensor, _ activation: Activation) {
        let values = x.pointer
        Parallel.forRanges(count: x.count, minimumPerThread: elementsPerThread) { start, end in
            let length = end - start
            switch activation {
            case .quickGELU: cs_quick_gelu(values + start, length)
            case .gelu: cs_gelu(values + start, length)
            case .geluTanh, .geluPyTorchTanh: cs_gelu_tanh(values + start, length)
            case .relu: cs_relu(values + start, length)
            }
        }
    }

    /// x += y element-wise (same element count).
    public static func addInPlace(_ x: Tensor, _ y: Tensor) {
        precondition(x.count == y.count, "add: \(x.shape) + \(y.shape)")
        let target = x.pointer, source = y.pointer
        Parallel.forRanges(count: x.count, minimumPerThread: elementsPerThread) { start, end in
            cs_add(target + start, source + start, end - start)
        }
    }

    /// Scales every row of a 2-D tensor to unit L2 norm, in place.
    public static func normalizeRowsInPlace(_ x: Tensor) {
        let dim = x.shape[x.rank - 1]
        cs_normalize_rows(x.pointer, x.count / dim, dim)
    }

    /// Multi-head scaled dot-product attention over packed projections.
    /// - Parameters:
    ///   - qkv: [batch · sequence, 3 · width]: each row holds q, then k, then v.
    ///   - validLengths: per batch item, keys at or past this position are padding (nil: none).
    /// - Returns: [batch · sequence, width], heads concatenated as in the checkpoint's out_proj input.
    public static func attention(
        qkv: Tensor, batch: Int, sequence: Int, heads: Int, causal: Bool, validLengths: [Int]? = nil
    ) -> Tensor {
        let width = qkv.shape[1] / 3
        let headDimension = width / heads
        precondition(qkv.shape[0] == batch * sequence && headDimension * heads == width, "attention: \(qkv.shape)")
        let output = Tensor(uninitializedShape: [batch * sequence, width])
        let scale = 1 / Float(headDimension).squareRoot()
        let input = qkv.pointer, result = output.pointer
        let lengths = validLengths ?? Array(repeating: sequence, count: batch)
        Parallel.forRanges(count: batch * heads, minimumPerThread: 2) { start, end in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: max((headDimension + 1) * sequence, 4352))
            defer { scores.deallocate() }
            for item in start..<end {
                let (sample, head) = item.quotientAndRemainder(dividingBy: heads)
                let rowBase = input + sample * sequence * 3 * width + head * headDimension
                cs_attention_head(
                    rowBase, rowBase + width, rowBase + 2 * width, 3 * width,
                    result + sample * sequence * width + head * headDimension, width,
                    sequence, lengths[sample], headDimension, scale, causal ? 1 : 0, scores)
            }
        }
        return output
    }
}

/// Which instruction set the element kernels run with.
public var elementKernelInstructionSet: String { String(cString: cs_kernel_isa()) }
