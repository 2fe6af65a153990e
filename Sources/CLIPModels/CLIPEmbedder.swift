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

    /// This model's image pipeline (decode → preprocess → batch); `encode` is its last stage.
    public func imagePipeline(decoding: ImageDecoding = .exact, batchSize: Int? = nil) -> ImagePipeline {
        ImagePipeline(preprocessor: preprocessor, imageSize: model.imageSize, decoding: decoding, batchSize: batchSize ?? imageBatchSize)
    }

    /// The image tower, the pipeline's last stage: a unit vector per item of the batch that has an
    /// image. A failed forward pass fails those items and leaves the others as they were.
    public func encode<Note>(_ batch: PreparedImageBatch<Note>) -> EmbeddedImageBatch<Note> {
        let embeddings = Result<Tensor, Error>(catching: {
            guard batch.pixelValues.shape[0] > 0 else { return batch.pixelValues }
            let embeddings = try model.encodeImages(pixelValues: batch.pixelValues)
            Operations.normalizeRowsInPlace(embeddings)
            return embeddings
        })
        let vectors = batch.rows.map { row -> ImageResult<[Float]> in
            switch (row, embeddings) {
            case (.value(let index), .success(let embeddings)): return .value(embeddings.row(index))
            case (.value, .failure(let error)): return .failed(ModelError.backend("encoding failed: \(error)"))
            case (.skipped, _): return .skipped
            case (.failed(let error), _): return .failed(error)
            }
        }
        return EmbeddedImageBatch(notes: batch.notes, vectors: vectors)
    }

    /// Unit vectors of images, in order, through the whole pipeline: decoding of the next batch
    /// overlaps encoding of the current one; a source that fails yields its error and the others go on.
    public func embed(_ sources: [ImageSource], decoding: ImageDecoding = .exact) -> [Result<[Float], Error>] {
        var results: [Result<[Float], Error>] = []
        results.reserveCapacity(sources.count)
        do {
            try imagePipeline(decoding: decoding).run(sources, input: { .image($0, note: ()) }) { batch in
                for vector in encode(batch).vectors {
                    switch vector {
                    case .value(let values): results.append(.success(values))
                    case .failed(let error): results.append(.failure(error))
                    case .skipped: results.append(.failure(ModelError.invalidInput("no image to embed")))
                    }
                }
                return true
            }
        } catch {
            // Neither stage throws for a list of sources; should one ever, no input goes unanswered.
            while results.count < sources.count { results.append(.failure(error)) }
        }
        return results
    }

    /// Image files (decoded exactly as Pillow does unless `decoding` says otherwise).
    public func embed(imageFiles urls: [URL], decoding: ImageDecoding = .exact) -> [Result<[Float], Error>] {
        embed(urls.map(ImageSource.file), decoding: decoding)
    }

    /// Decoded images; the first failure is thrown.
    public func embed(images: [RGBImage]) throws -> [[Float]] {
        try embed(images.map(ImageSource.image)).map { try $0.get() }
    }

    /// An image held in memory (an upload); `name` appears in error messages.
    public func embed(imageData data: Data, name: String, decoding: ImageDecoding = .exact) throws -> [Float] {
        try embed([.data(data, name: name)], decoding: decoding)[0].get()
    }
}
