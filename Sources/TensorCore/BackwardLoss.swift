import Foundation

/// CLIP's symmetric InfoNCE loss with a learnable temperature, forward and backward in one call.
///
/// Embeddings are L2-normalised, logits = min(exp(t), 100) · I · Tᵀ, and the loss is the mean of the
/// cross-entropy along the image axis and along the text axis with labels 0..<n (pair i matches i).
public enum ContrastiveLoss {
    /// The clamp CLIP training applies to exp(t); past it the temperature gets no gradient.
    public static let maximumLogitScale: Float = 100

    public struct Result: Sendable {
        public let loss: Float
        /// ∂loss/∂(unnormalised image embeddings), [n, d].
        public let imageGradient: Tensor
        /// ∂loss/∂(unnormalised text embeddings), [n, d].
        public let textGradient: Tensor
        /// ∂loss/∂t for the log-scale parameter t.
        public let logitScaleGradient: Float
        /// Cosine similarities (image rows, text columns), [n, n], for recall metrics.
        public let similarities: Tensor
    }

    /// - Parameters:
    ///   - imageEmbeddings: projected, unnormalised image embeddings [n, d].
    ///   - textEmbeddings: projected, unnormalised text embeddings [n, d] (row i pairs with image row i).
    ///   - logLogitScale: the `logit_scale` parameter t.
    public static func evaluate(imageEmbeddings: Tensor, textEmbeddings: Tensor, logLogitScale: Float) -> Result {
        let n = imageEmbeddings.shape[0], dim = imageEmbeddings.shape[1]
        precondition(textEmbeddings.shape == [n, dim] && n > 0, "contrastive loss: \(imageEmbeddings.shape) vs \(textEmbeddings.shape)")
        let imageNorms = BackwardOperations.rowNorms(imageEmbeddings), textNorms = BackwardOperations.rowNorms(textEmbeddings)
        let images = imageEmbeddings.copy(), texts = textEmbeddings.copy()
        Operations.normalizeRowsInPlace(images)
        Operations.normalizeRowsInPlace(texts)
        let similarities = Operations.matmul(images, texts, transposeB: true)

        let rawScale = exp(logLogitScale)
        let clamped = rawScale > maximumLogitScale
        let scale = Double(clamped ? maximumLogitScale : rawScale)
        var logits = [Double](repeating: 0, count: n * n)
        for index in 0..<(n * n) { logits[index] = scale * Double(similarities.pointer[index]) }

        // Row softmax (image → texts) and column softmax (text → images) of the same logits.
        var rowProbabilities = logits, columnProbabilities = logits
        var loss = 0.0
        for i in 0..<n {
            var maximum = -Double.infinity
            for j in 0..<n { maximum = max(maximum, logits[i * n + j]) }
            var sum = 0.0
            for j in 0..<n { sum += exp(logits[i * n + j] - maximum) }
            let logSum = maximum + log(sum)
            for j in 0..<n { rowProbabilities[i * n + j] = exp(logits[i * n + j] - logSum) }
            loss += logSum - logits[i * n + i]
        }
        for j in 0..<n {
            var maximum = -Double.infinity
            for i in 0..<n { maximum = max(maximum, logits[i * n + j]) }
            var sum = 0.0
            for i in 0..<n { sum += exp(logits[i * n + j] - maximum) }
            let logSum = maximum + log(sum)
            for i in 0..<n { columnProbabilities[i * n + j] = exp(logits[i * n + j] - logSum) }
            loss += logSum - logits[j * n + j]
        }
        loss /= Double(2 * n)

        // ∂loss/∂logits = (P_row + P_column − 2·𝟙[i = j]) / 2n.
        let similarityGradient = Tensor(uninitializedShape: [n, n])
        var scaleGradient = 0.0
        for i in 0..<n {
            for j in 0..<n {
                let index = i * n + j
                let logitGradient = (rowProbabilities[index] + columnProbabilities[index] - (i == j ? 2 : 0)) / Double(2 * n)
                scaleGradient += logitGradient * Double(similarities.pointer[index])
                similarityGradient.pointer[index] = Float(logitGradient * scale)
            }
        }
        let normalizedImageGradient = Operations.matmul(similarityGradient, texts)
        let normalizedTextGradient = Operations.matmul(similarityGradient, images, transposeA: true)
        return Result(
            loss: Float(loss),
            imageGradient: BackwardOperations.normalizeRows(normalized: images, norms: imageNorms, outputGradient: normalizedImageGradient),
            textGradient: BackwardOperations.normalizeRows(normalized: texts, norms: textNorms, outputGradient: normalizedTextGradient),
            logitScaleGradient: clamped ? 0 : Float(scaleGradient * scale),
            similarities: similarities)
    }
}
