import Dispatch
import Foundation
import ImageCodecs
import TensorCore
import Tokenizers

/// A loaded model with its tokenizer and image preprocessor: texts and images in, unit vectors out.
public final class CLIPEmbedder: Sendable {
    public let model: any EmbeddingModel
    public let tokenizer: any TextTokenizing
    public let preprocessor: CLIPImagePreprocessor
    /// Images per forward pass: large enough for GEMM efficiency, small enough to bound memory.
    public let imageBatchSize: Int

    public init(model: any EmbeddingModel, tokenizer: any TextTokenizing, preprocessor: CLIPImagePreprocessor, imageBatchSize: Int = 32) {
        self.model = model
        self.tokenizer = tokenizer
        self.preprocessor = preprocessor
        self.imageBatchSize = imageBatchSize
    }

    /// Loads a Hugging Face layout folder: config.json, model.safetensors, vocab.json, merges.txt and
    /// optionally preprocessor_config.json (CLIP's defaults at the model's image size otherwise).
    public static func load(directory: URL) throws -> CLIPEmbedder {
        let family = try ModelFamilyLoader.family(of: directory)
        let model = try family.loadModel(directory)
        let tokenizer = try family.loadTokenizer(directory)
        let preprocessorURL = directory.appendingPathComponent("preprocessor_config.json")
        let size = model.imageSize
        var preprocessor = CLIPImagePreprocessor(shortestEdge: size, cropHeight: size, cropWidth: size)
        if let loadPreprocessor = family.loadPreprocessor {
            preprocessor = try loadPreprocessor(directory)
        } else if FileManager.default.fileExists(atPath: preprocessorURL.path) {
            do { preprocessor = try CLIPImagePreprocessor(preprocessorConfig: preprocessorURL) } catch {
                throw ModelError.backend("\(error)")
            }
        }
        guard preprocessor.cropHeight == size, preprocessor.cropWidth == size else {
            throw ModelError.invalidConfiguration(
                path: preprocessorURL.path, key: "crop_size",
                reason: "\(preprocessor.cropHeight)×\(preprocessor.cropWidth) does not match the model's image_size \(size)")
        }
        return CLIPEmbedder(model: model, tokenizer: tokenizer, preprocessor: preprocessor)
    }

    public var dimension: Int { model.projectionDimension }

    /// Token ids for a text, framed and truncated by the tokenizer to the model's context.
    public func tokenize(_ text: String) -> [Int] {
        tokenizer.encode(text)
    }

    /// L2-normalised text embeddings, one per text, in order.
    public func embed(texts: [String]) throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        var result: [[Float]] = []
        for start in stride(from: 0, to: texts.count, by: 64) {
            let chunk = texts[start..<min(texts.count, start + 64)].map(tokenize)
            let embeddings = try model.encodeTexts(tokenIDs: chunk)
            Operations.normalizeRowsInPlace(embeddings)
            result += (0..<chunk.count).map { embeddings.row($0) }
        }
        return result
    }

    /// Preprocessed pixels [count, 3, size, size] for decoded images.
    public func pixelValues(for images: [RGBImage]) -> Tensor {
        let size = model.imageSize
        let plane = 3 * size * size
        let tensor = Tensor(uninitializedShape: [images.count, 3, size, size])
        let destination = tensor.pointer
        Parallel.forRanges(count: images.count, minimumPerThread: 1) { start, end in
            for index in start..<end {
                let values = preprocessor.pixelValues(for: images[index])
                values.withUnsafeBufferPointer { (destination + index * plane).update(from: $0.baseAddress!, count: plane) }
            }
        }
        return tensor
    }

    /// L2-normalised image embeddings, one per image, in order.
    public func embed(images: [RGBImage]) throws -> [[Float]] {
        var result: [[Float]] = []
        for start in stride(from: 0, to: images.count, by: imageBatchSize) {
            let chunk = Array(images[start..<min(images.count, start + imageBatchSize)])
            result += try embed(pixelValues: pixelValues(for: chunk))
        }
        return result
    }

    func embed(pixelValues: Tensor) throws -> [[Float]] {
        let embeddings = try model.encodeImages(pixelValues: pixelValues)
        Operations.normalizeRowsInPlace(embeddings)
        return (0..<pixelValues.shape[0]).map { embeddings.row($0) }
    }

    /// Decodes, preprocesses and embeds image files. Decoding the next batch overlaps encoding of the
    /// current one; a file that fails to decode yields its error and the others go on.
    /// `scaledJPEGDecoding` lets libjpeg shrink large JPEGs while decoding (see `ImageDecoder.decode(…minimumShortSide:)`).
    public func embed(imageFiles urls: [URL], limits: DecodeLimits = .default, scaledJPEGDecoding: Bool = false) -> [Result<[Float], Error>] {
        guard !urls.isEmpty else { return [] }
        let batches = stride(from: 0, to: urls.count, by: imageBatchSize).map { Array(urls[$0..<min(urls.count, $0 + imageBatchSize)]) }
        let size = model.imageSize
        let plane = 3 * size * size

        func prepare(_ batch: [URL]) -> (Tensor, [Result<Int, Error>]) {
            let pixels = Tensor(uninitializedShape: [batch.count, 3, size, size])
            var outcomes = [Result<Int, Error>](repeating: .success(0), count: batch.count)
            let destination = pixels.pointer
            outcomes.withUnsafeMutableBufferPointer { slots in
                Parallel.forRanges(count: batch.count, minimumPerThread: 1) { start, end in
                    for index in start..<end {
                        do {
                            let image = scaledJPEGDecoding
                                ? try ImageDecoder.decode(fileAt: batch[index], limits: limits, minimumShortSide: preprocessor.shortestEdge)
                                : try ImageDecoder.decode(fileAt: batch[index], limits: limits)
                            let values = preprocessor.pixelValues(for: image)
                            values.withUnsafeBufferPointer { (destination + index * plane).update(from: $0.baseAddress!, count: plane) }
                            slots[index] = .success(index)
                        } catch {
                            (destination + index * plane).update(repeating: 0, count: plane)
                            slots[index] = .failure(error)
                        }
                    }
                }
            }
            return (pixels, outcomes)
        }

        var results: [Result<[Float], Error>] = []
        let prefetchGroup = DispatchGroup()
        let pending = UnsafeMutablePointer<(Tensor, [Result<Int, Error>])?>.allocate(capacity: 1)
        pending.initialize(to: nil)
        defer { pending.deinitialize(count: 1); pending.deallocate() }
        var current = prepare(batches[0])
        for index in batches.indices {
            if index + 1 < batches.count {
                // The main thread waits on the group before reading `pending`, so this is race-free.
                let job = UncheckedSendable(value: { pending.pointee = prepare(batches[index + 1]) })
                DispatchQueue.global().async(group: prefetchGroup) { job.value() }
            }
            let (pixels, outcomes) = current
            let embeddings: Result<[[Float]], Error> = Result { try embed(pixelValues: pixels) }
            for (position, outcome) in outcomes.enumerated() {
                switch (outcome, embeddings) {
                case (.failure(let error), _): results.append(.failure(error))
                case (.success, .failure(let error)): results.append(.failure(error))
                case (.success, .success(let vectors)): results.append(.success(vectors[position]))
                }
            }
            if index + 1 < batches.count {
                prefetchGroup.wait()
                current = pending.pointee!
            }
        }
        return results
    }
}
