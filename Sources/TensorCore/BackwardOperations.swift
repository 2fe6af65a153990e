import CTensorKernels
import Dispatch

/// Backward passes of the tensor core's forward operations, for training. Each takes the forward's
/// inputs (recorded by the caller) and the gradient of the loss with respect to the forward's output.
/// Parameter gradients ACCUMULATE (+=) into the tensors passed, so gradient accumulation over
/// micro-batches and fused q/k/v weights need no extra copies; input gradients are overwritten.
public enum BackwardOperations {
    /// Backward of `Operations.linear` (y = x · Wᵀ + b): dX = dY · W, dW += dYᵀ · X, db += Σ rows dY.
    public static func linear(
        input: Tensor, weight: Tensor, outputGradient: Tensor,
        inputGradient: Tensor?, weightGradient: Tensor?, biasGradient: Tensor?
    ) {
        let m = input.shape[0], k = input.shape[1], n = weight.shape[0]
        precondition(outputGradient.count == m * n && weight.count == n * k, "linear backward: \(input.shape) · \(weight.shape)ᵀ")
        if let inputGradient {
            precondition(inputGradient.count == m * k, "linear backward: input gradient \(inputGradient.shape)")
            BLAS.sgemm(transposeA: false, transposeB: false, m: m, n: k, k: n,
                       a: outputGradient.pointer, lda: n, b: weight.pointer, ldb: k, beta: 0, c: inputGradient.pointer, ldc: k)
        }
        if let weightGradient {
            precondition(weightGradient.count == n * k, "linear backward: weight gradient \(weightGradient.shape)")
            BLAS.sgemm(transposeA: true, transposeB: false, m: n, n: k, k: m,
                       a: outputGradient.pointer, lda: n, b: input.pointer, ldb: k, beta: 1, c: weightGradient.pointer, ldc: k)
        }
        if let biasGradient {
            precondition(biasGradient.count == n, "linear backward: bias gradient \(biasGradient.shape)")
            cs_column_sums(outputGradient.pointer, m, n, biasGradient.pointer)
        }
    }

    /// Backward of `Operations.layerNorm` over the last dimension.
    public static func layerNorm(
        input: Tensor, weight: Tensor, epsilon: Float, outputGradient: Tensor,
        inputGradient: Tensor?, weightGradient: Tensor?, biasGradient: Tensor?
    ) {
        let dim = input.shape[input.rank - 1]
        let rows = input.count / dim
        precondition(outputGradient.count == input.count && weight.count == dim, "layerNorm backward: \(input.shape)")
        let chunkCount = min(Parallel.processorCount, max(1, rows / 32))
        let chunk = (rows + chunkCount - 1) / chunkCount
        // Each chunk accumulates its own gain/bias partial sums so the threads never share a write.
        let partials = Tensor(zeros: [chunkCount, 2 * dim])
        let x = input.pointer, dy = outputGradient.pointer, gamma = weight.pointer
        let dx = inputGradient?.pointer, partial = partials.pointer
        let wantGain = weightGradient != nil, wantBias = biasGradient != nil
        let work = UncheckedSendable(value: (x, dy, gamma, dx, partial))
        DispatchQueue.concurrentPerform(iterations: chunkCount) { index in
            let (x, dy, gamma, dx, partial) = work.value
            let start = index * chunk, end = min(rows, start + chunk)
            guard start < end else { return }
            let gains = partial + index * 2 * dim
            cs_layer_norm_backward(
                x + start * dim, dy + start * dim, gamma, dx.map { $0 + start * dim },
                wantGain ? gains : nil, wantBias ? gains + dim : nil, end - start, dim, epsilon)
        }
        for index in 0..<chunkCount {
            let gains = partial + index * 2 * dim
            if let weightGradient { for i in 0..<dim { weightGradient.pointer[i] += gains[i] } }
            if let biasGradient { for i in 0..<dim { biasGradient.pointer[i] += gains[dim + i] } }
        }
    }

    /// Backward of `Operations.activateInPlace`: gradient *= activation'(preActivation), in place.
    public static func activate(_ activation: Activation, preActivation: Tensor, gradient: Tensor) {
        precondition(preActivation.count == gradient.count, "activation backward: \(preActivation.shape) vs \(gradient.shape)")
        let kind: Int32
        switch activation {
        case .quickGELU: kind = 0
        case .gelu: kind = 1
        case .geluTanh, .geluPyTorchTanh: kind = 2
        case .relu: kind = 3
        }
        let pre = preActivation.pointer, values = gradient.pointer
        Parallel.forRanges(count: gradient.count, minimumPerThread: Operations.elementsPerThread) { start, end in
            cs_activation_backward(kind, pre + start, values + start, end - start)
        }
    }

    /// Backward of `Operations.attention`: the gradient with respect to the packed q/k/v rows.
    public static func attention(
        qkv: Tensor, outputGradient: Tensor, batch: Int, sequence: Int, heads: Int, causal: Bool, validLengths: [Int]? = nil
    ) -> Tensor {
        let width = qkv.shape[1] / 3
        let headDimension = width / heads
        precondition(qkv.shape[0] == batch * sequence && outputGradient.count == batch * sequence * width,
                     "attention backward: \(qkv.shape), \(outputGradient.shape)")
        let result = Tensor(uninitializedShape: qkv.shape)
        let scale = 1 / Float(headDimension).squareRoot()
        let lengths = validLengths ?? Array(repeating: sequence, count: batch)
        let input = qkv.pointer, gradient = outputGradient.pointer, output = result.pointer
        Parallel.forRanges(count: batch * heads, minimumPerThread: 2) { start, end in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * sequence)
            defer { scratch.deallocate() }
            for item in start..<end {
                let (sample, head) = item.quotientAndRemainder(dividingBy: heads)
                let rowOffset = sample * sequence * 3 * width + head * headDimension
                let base = input + rowOffset, gradientBase = output + rowOffset
                cs_attention_head_backward(
                    base, base + width, base + 2 * width, 3 * width,
                    gradient + sample * sequence * width + head * headDimension, width,
                    gradientBase, gradientBase + width, gradientBase + 2 * width,
                    sequence, lengths[sample], headDimension, scale, causal ? 1 : 0, scratch, scratch + sequence)
            }
        }
        return result
    }

    /// Row L2 norms (the forward of normalisation keeps them for the backward).
    public static func rowNorms(_ x: Tensor) -> [Float] {
        let dim = x.shape[x.rank - 1]
        return (0..<(x.count / dim)).map { row in
            var squares = 0.0
            for value in UnsafeBufferPointer(start: x.pointer + row * dim, count: dim) { squares += Double(value) * Double(value) }
            return Float(squares.squareRoot())
        }
    }

    /// Backward of y = x / ‖x‖ per row, given y and ‖x‖: dx = (dy − y (y · dy)) / ‖x‖.
    public static func normalizeRows(normalized: Tensor, norms: [Float], outputGradient: Tensor) -> Tensor {
        let dim = normalized.shape[normalized.rank - 1]
        let result = Tensor(uninitializedShape: normalized.shape)
        for row in 0..<norms.count {
            let y = normalized.pointer + row * dim, dy = outputGradient.pointer + row * dim, dx = result.pointer + row * dim
            guard norms[row] > 0 else { dx.update(repeating: 0, count: dim); continue }
            var dot = 0.0
            for i in 0..<dim { dot += Double(y[i]) * Double(dy[i]) }
            let inverse = 1 / norms[row], projection = Float(dot)
            for i in 0..<dim { dx[i] = (dy[i] - y[i] * projection) * inverse }
        }
        return result
    }

    /// Forward of row gathering (pooling a token per sequence, embedding lookup): out[i] = x[indices[i]].
    public static func gatherRows(_ x: Tensor, indices: [Int]) -> Tensor {
        let dim = x.count / x.shape[0]
        let result = Tensor(uninitializedShape: [indices.count, dim])
        for (row, index) in indices.enumerated() {
            (result.pointer + row * dim).update(from: x.pointer + index * dim, count: dim)
        }
        return result
    }

    /// Backward of `gatherRows`: target[indices[i]] += gradient[i] (scatter-add; repeated indices add up).
    public static func scatterAddRows(_ gradient: Tensor, indices: [Int], into target: Tensor) {
        let dim = target.count / target.shape[0]
        precondition(gradient.count == indices.count * dim, "scatter-add: \(gradient.shape) into \(target.shape)")
        for (row, index) in indices.enumerated() {
            let destination = target.pointer + index * dim, source = gradient.pointer + row * dim
            for i in 0..<dim { destination[i] += source[i] }
        }
    }
}
