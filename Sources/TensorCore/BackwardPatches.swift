/// The ViT patch embedding (a stride-p convolution without bias) as an im2col GEMM, forward and backward.
public enum PatchEmbedding {
    /// Rearranges [batch, channels, side, side] pixels into one row per patch, in the order of the
    /// convolution weight's flattening (channel, row, column): [batch · patches, channels · patch²].
    public static func rows(pixels: Tensor, channels: Int, side: Int, patch: Int) -> Tensor {
        let batch = pixels.shape[0], perSide = side / patch, patchCount = perSide * perSide
        let patchArea = channels * patch * patch
        precondition(pixels.count == batch * channels * side * side, "patch rows: \(pixels.shape)")
        let result = Tensor(uninitializedShape: [batch * patchCount, patchArea])
        let source = pixels.pointer, destination = result.pointer
        Parallel.forRanges(count: batch * patchCount, minimumPerThread: 64) { start, end in
            for rowIndex in start..<end {
                let (sample, patchIndex) = rowIndex.quotientAndRemainder(dividingBy: patchCount)
                let (patchRow, patchColumn) = patchIndex.quotientAndRemainder(dividingBy: perSide)
                var output = destination + rowIndex * patchArea
                for channel in 0..<channels {
                    let plane = source + (sample * channels + channel) * side * side
                    for y in 0..<patch {
                        output.update(from: plane + (patchRow * patch + y) * side + patchColumn * patch, count: patch)
                        output += patch
                    }
                }
            }
        }
        return result
    }

    /// Patch features = rows · Wᵀ with the conv weight viewed as [width, channels · patch²].
    public static func forward(rows: Tensor, weight: Tensor) -> Tensor {
        Operations.linear(rows, weight: weight.reshaped([weight.shape[0], weight.count / weight.shape[0]]), bias: nil)
    }

    /// dW += dFeaturesᵀ · rows (pixels are inputs, never trained, so no pixel gradient).
    public static func backward(rows: Tensor, weight: Tensor, outputGradient: Tensor, weightGradient: Tensor) {
        let flat = [weight.shape[0], weight.count / weight.shape[0]]
        BackwardOperations.linear(
            input: rows, weight: weight.reshaped(flat), outputGradient: outputGradient,
            inputGradient: nil, weightGradient: weightGradient.reshaped(flat), biasGradient: nil)
    }
}
