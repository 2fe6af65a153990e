import CLIPModels
import Foundation
import ImageCodecs
import Prefetching
import TensorCore
import Tokenizers

/// Pairs turned into model inputs: captions tokenized once, images decoded (exactly as Pillow does)
/// and preprocessed on demand through the image pipeline, and kept when they fit a memory budget,
/// since every epoch needs them again.
public final class PairDataset: @unchecked Sendable {
    public private(set) var pairs: [ImageCaptionPair]
    public private(set) var tokenIDs: [[Int]]
    let pipeline: ImagePipeline
    private var cache: [Int: [Float]] = [:]
    private let cacheLimit: Int
    private let lock = NSLock()

    /// - Parameter maximumTokens: the text tower's positions; longer token sequences keep their end token.
    public init(pairs: [ImageCaptionPair], tokenizer: any TextTokenizing, preprocessor: CLIPImagePreprocessor, imageSize: Int,
                maximumTokens: Int, cacheBytes: Int = 1 << 30) {
        self.pairs = pairs
        tokenIDs = pairs.map { pair in
            let ids = tokenizer.encode(pair.caption)
            guard ids.count > maximumTokens, let last = ids.last else { return ids }
            return Array(ids.prefix(maximumTokens - 1)) + [last]
        }
        pipeline = ImagePipeline(preprocessor: preprocessor, imageSize: imageSize, decoding: .exact)
        cacheLimit = cacheBytes / max(1, 3 * imageSize * imageSize * 4)
    }

    public var count: Int { pairs.count }

    /// Decodes every image once, dropping pairs whose image cannot be decoded; returns the warnings
    /// (naming `sourcePath`, the pairs file, and the line).
    public func validateImages(sourcePath: String = "pairs") -> [String] {
        var keep: [Int] = [], warnings: [String] = []
        for start in stride(from: 0, to: pairs.count, by: pipeline.batchSize) {
            let indices = Array(start..<min(pairs.count, start + pipeline.batchSize))
            for (index, error) in zip(indices, load(indices).errors) {
                if let error {
                    warnings.append("warning: \(sourcePath):\(pairs[index].line): \(error) (skipped)")
                } else {
                    keep.append(index)
                }
            }
        }
        if keep.count != pairs.count {
            let kept = keep.map { pairs[$0] }, keptTokens = keep.map { tokenIDs[$0] }
            let keptCache = Dictionary(uniqueKeysWithValues: keep.enumerated().compactMap { newIndex, oldIndex in
                cache[oldIndex].map { (newIndex, $0) }
            })
            pairs = kept
            tokenIDs = keptTokens
            cache = keptCache
        }
        return warnings
    }

    /// Model input [indices.count, 3, size, size] of the given pairs' images: cached ones copied, the
    /// others through the pipeline (and cached while there is room); a failed image's row is zero.
    private func load(_ indices: [Int]) -> (pixelValues: Tensor, errors: [Error?]) {
        let size = pipeline.imageSize, plane = 3 * size * size
        let output = Tensor(uninitializedShape: [indices.count, 3, size, size])
        let cached = lock.withLock { indices.map { cache[$0] } }
        let missing = indices.indices.filter { cached[$0] == nil }
        let files = missing.map { pairs[indices[$0]].image }
        let decoded = pipeline.prepare(Array(files.indices)) { ImageInput.image(.file(files[$0]), note: $0) }
        var errors = [Error?](repeating: nil, count: indices.count)
        func copy(_ source: UnsafePointer<Float>, to position: Int) {
            (output.pointer + position * plane).update(from: source, count: plane)
        }
        for (position, pixels) in cached.enumerated() {
            pixels?.withUnsafeBufferPointer { copy($0.baseAddress!, to: position) }
        }
        lock.withLock {
            for (position, row) in zip(missing, decoded.rows) {
                guard case .value(let row) = row else {
                    if case .failed(let error) = row { errors[position] = error }
                    (output.pointer + position * plane).update(repeating: 0, count: plane)
                    continue
                }
                let source = decoded.pixelValues.pointer + row * plane
                copy(source, to: position)
                if cache.count < cacheLimit { cache[indices[position]] = Array(UnsafeBufferPointer(start: source, count: plane)) }
            }
        }
        return (output, errors)
    }

    /// Pixel values [indices.count, 3, size, size] and token ids of the given pairs.
    public func batch(_ indices: [Int]) throws -> (pixelValues: Tensor, tokenIDs: [[Int]]) {
        let (pixels, errors) = load(indices)
        if let (position, error) = errors.enumerated().first(where: { $0.element != nil }) {
            throw TrainingError.model("\(pairs[indices[position]].image.path): \(error!)")
        }
        return (pixels, indices.map { tokenIDs[$0] })
    }

    /// `batch` for each index list, in order, on the pipeline's prefetching stage: the next batch
    /// is decoded while `body` works on the current one. `body` returns false to stop.
    public func batches(_ lists: [[Int]], _ body: (_ pixelValues: Tensor, _ tokenIDs: [[Int]]) throws -> Bool) throws {
        try Prefetch.run(capacity: pipeline.prefetchedBatches, produce: { [self] push in
            for indices in lists { try push(try batch(indices)) }
        }, consume: { try body($0.pixelValues, $0.tokenIDs) })
    }
}

/// Retrieval quality on a set of pairs: pair i's image should rank its own caption first and vice versa.
public struct RetrievalMetrics: Sendable, Equatable {
    public var textToImageRecall: [Int: Double]
    public var imageToTextRecall: [Int: Double]
    public var meanLoss: Double
    public var pairCount: Int

    public static let ranks = [1, 5, 10]

    /// Recall@k from a similarity matrix [images, texts] where pair i is (image i, text i).
    public static func recalls(similarities: Tensor) -> (textToImage: [Int: Double], imageToText: [Int: Double]) {
        let n = similarities.shape[0]
        var textToImage: [Int: Double] = [:], imageToText: [Int: Double] = [:]
        var imageRanks: [Int] = [], textRanks: [Int] = []
        let values = similarities.pointer
        for i in 0..<n {
            // Rank = how many candidates score strictly higher than the true match.
            let truth = values[i * n + i]
            textRanks.append((0..<n).filter { values[i * n + $0] > truth }.count)
            imageRanks.append((0..<n).filter { values[$0 * n + i] > truth }.count)
        }
        for k in ranks {
            imageToText[k] = Double(textRanks.filter { $0 < k }.count) / Double(max(1, n))
            textToImage[k] = Double(imageRanks.filter { $0 < k }.count) / Double(max(1, n))
        }
        return (textToImage, imageToText)
    }

    public var summary: String {
        func format(_ values: [Int: Double]) -> String {
            Self.ranks.map { "R@\($0) \(String(format: "%.3f", values[$0] ?? 0))" }.joined(separator: " ")
        }
        return "\(pairCount) pairs: text→image \(format(textToImageRecall)); image→text \(format(imageToTextRecall)); mean loss \(String(format: "%.4f", meanLoss))"
    }
}

extension ContrastiveTrainer {
    /// Recall over all the given pairs (one similarity matrix) and the mean contrastive loss over
    /// batches of `batchSize` (as training sees them).
    public func evaluate(_ dataset: PairDataset, indices: [Int], batchSize: Int) throws -> RetrievalMetrics {
        let count = indices.count, dimension = model.projectionDimension
        guard count > 0 else { return RetrievalMetrics(textToImageRecall: [:], imageToTextRecall: [:], meanLoss: 0, pairCount: 0) }
        let images = Tensor(uninitializedShape: [count, dimension]), texts = Tensor(uninitializedShape: [count, dimension])
        var lossTotal = 0.0, lossPairs = 0, start = 0
        let chunks = stride(from: 0, to: count, by: batchSize).map { Array(indices[$0..<min(count, $0 + batchSize)]) }
        try dataset.batches(chunks) { pixels, tokens in
            let (chunkImages, chunkTexts) = try embed(pixelValues: pixels, tokenIDs: tokens)
            images.rows(start, count: tokens.count).copy(from: chunkImages)
            texts.rows(start, count: tokens.count).copy(from: chunkTexts)
            if tokens.count >= 2 {
                let loss = ContrastiveLoss.evaluate(imageEmbeddings: chunkImages, textEmbeddings: chunkTexts, logLogitScale: logLogitScale)
                lossTotal += Double(loss.loss) * Double(tokens.count)
                lossPairs += tokens.count
            }
            start += tokens.count
            return true
        }
        Operations.normalizeRowsInPlace(images)
        Operations.normalizeRowsInPlace(texts)
        let (textToImage, imageToText) = RetrievalMetrics.recalls(similarities: Operations.matmul(images, texts, transposeB: true))
        return RetrievalMetrics(textToImageRecall: textToImage, imageToTextRecall: imageToText,
                                meanLoss: lossPairs > 0 ? lossTotal / Double(lossPairs) : .nan, pairCount: count)
    }
}
