import CLIPModels
import Foundation
import ImageCodecs
import TensorCore

/// Pairs turned into model inputs: captions tokenized once, images decoded and preprocessed on demand
/// (and kept when they fit a memory budget, since every epoch needs them again).
public final class PairDataset: @unchecked Sendable {
    public private(set) var pairs: [ImageCaptionPair]
    public private(set) var tokenIDs: [[Int]]
    let preprocessor: CLIPImagePreprocessor
    let imageSize: Int
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
        self.preprocessor = preprocessor
        self.imageSize = imageSize
        cacheLimit = cacheBytes / max(1, 3 * imageSize * imageSize * 4)
    }

    public var count: Int { pairs.count }

    /// Decodes every image once, dropping pairs whose image cannot be decoded; returns the warnings
    /// (naming `sourcePath`, the pairs file, and the line).
    public func validateImages(sourcePath: String = "pairs") -> [String] {
        var keep: [Int] = [], warnings: [String] = []
        let results = decode(Array(pairs.indices))
        for (index, result) in zip(pairs.indices, results) {
            switch result {
            case .success: keep.append(index)
            case .failure(let error): warnings.append("warning: \(sourcePath):\(pairs[index].line): \(error) (skipped)")
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

    private func decode(_ indices: [Int]) -> [Result<[Float], Error>] {
        var results = [Result<[Float], Error>](repeating: .success([]), count: indices.count)
        let pairs = self.pairs, preprocessor = self.preprocessor
        results.withUnsafeMutableBufferPointer { slots in
            let shared = UncheckedSendable(value: slots)
            Parallel.forRanges(count: indices.count, minimumPerThread: 1) { start, end in
                for position in start..<end {
                    let index = indices[position]
                    self.lock.lock()
                    let cached = self.cache[index]
                    self.lock.unlock()
                    if let cached { shared.value[position] = .success(cached); continue }
                    do {
                        let image = try ImageDecoder.decode(fileAt: pairs[index].image)
                        let values = preprocessor.pixelValues(for: image)
                        self.lock.lock()
                        if self.cache.count < self.cacheLimit { self.cache[index] = values }
                        self.lock.unlock()
                        shared.value[position] = .success(values)
                    } catch {
                        shared.value[position] = .failure(error)
                    }
                }
            }
        }
        return results
    }

    /// Pixel values [indices.count, 3, size, size] and token ids of the given pairs.
    public func batch(_ indices: [Int]) throws -> (pixelValues: Tensor, tokenIDs: [[Int]]) {
        let plane = 3 * imageSize * imageSize
        let pixels = Tensor(uninitializedShape: [indices.count, 3, imageSize, imageSize])
        for (position, result) in decode(indices).enumerated() {
            let values: [Float]
            do { values = try result.get() } catch {
                throw TrainingError.model("\(pairs[indices[position]].image.path): \(error)")
            }
            guard values.count == plane else {
                throw TrainingError.model("\(pairs[indices[position]].image.path): preprocessing gave \(values.count) values, expected \(plane)")
            }
            values.withUnsafeBufferPointer { (pixels.pointer + position * plane).update(from: $0.baseAddress!, count: plane) }
        }
        return (pixels, indices.map { tokenIDs[$0] })
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
        var lossTotal = 0.0, lossPairs = 0
        for start in stride(from: 0, to: count, by: batchSize) {
            let chunk = Array(indices[start..<min(count, start + batchSize)])
            let (pixels, tokens) = try dataset.batch(chunk)
            let (chunkImages, chunkTexts) = try embed(pixelValues: pixels, tokenIDs: tokens)
            images.rows(start, count: chunk.count).copy(from: chunkImages)
            texts.rows(start, count: chunk.count).copy(from: chunkTexts)
            if chunk.count >= 2 {
                let loss = ContrastiveLoss.evaluate(imageEmbeddings: chunkImages, textEmbeddings: chunkTexts, logLogitScale: logLogitScale)
                lossTotal += Double(loss.loss) * Double(chunk.count)
                lossPairs += chunk.count
            }
        }
        Operations.normalizeRowsInPlace(images)
        Operations.normalizeRowsInPlace(texts)
        let (textToImage, imageToText) = RetrievalMetrics.recalls(similarities: Operations.matmul(images, texts, transposeB: true))
        return RetrievalMetrics(textToImageRecall: textToImage, imageToTextRecall: imageToText,
                                meanLoss: lossPairs > 0 ? lossTotal / Double(lossPairs) : .nan, pairCount: count)
    }
}
