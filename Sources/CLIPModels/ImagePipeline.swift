import Foundation
import ImageCodecs
import Prefetching
import TensorCore

/// How image files become pixels before preprocessing.
public struct ImageDecoding: Sendable, Equatable {
    public var limits: DecodeLimits
    /// Large JPEGs are DCT-scaled while decoding, down to the preprocessor's resize target
    /// (`ImageDecoder.decode(…minimumShortSide:)`): several times faster on camera photos, within
    /// cosine 0.995 of the exact path. Off, every file decodes exactly as Pillow does.
    public var scalesJPEG: Bool

    public init(limits: DecodeLimits = .default, scalesJPEG: Bool) {
        self.limits = limits
        self.scalesJPEG = scalesJPEG
    }

    /// Pillow-identical decoding (reference parity, training data, `embed` by default).
    public static let exact = ImageDecoding(scalesJPEG: false)
    /// DCT-scaled JPEGs (the indexer and image queries).
    public static let scaledJPEG = ImageDecoding(scalesJPEG: true)
}

/// Where one image comes from.
public enum ImageSource: Sendable {
    case file(URL)
    /// Bytes already read (an upload, or a file the indexer hashed); `name` appears in errors.
    case data(Data, name: String)
    /// Pixels already decoded (a video frame, a rendered scene).
    case image(RGBImage)

    /// The name errors give it.
    var name: String? {
        switch self {
        case .file(let url): return url.path
        case .data(_, let name): return name
        case .image: return nil
        }
    }
}

/// One input as its caller's first step saw it, with the caller's `note` carried through to the
/// output (a path, a content hash, a frame time).
public enum ImageInput<Note: Sendable>: Sendable {
    /// Decode and preprocess this source.
    case image(ImageSource, note: Note)
    /// Nothing to embed (the caller already has the vector, say).
    case skip(note: Note)
    /// The caller's own step failed (the file could not be read, say).
    case failed(any Error, note: Note)
}

/// What became of one input: a value (its row of model input, or its vector), nothing, or an error.
public enum ImageResult<Value: Sendable>: Sendable {
    case value(Value)
    case skipped
    case failed(any Error)
}

/// One batch after decode → preprocess → batch: the model input of the items that have an image.
public struct PreparedImageBatch<Note: Sendable>: Sendable {
    public var notes: [Note]
    /// Per item, its row in `pixelValues`.
    public var rows: [ImageResult<Int>]
    /// [rows with an image, 3, size, size].
    public var pixelValues: Tensor
}

/// One batch after the image tower: a unit vector per item that had an image.
public struct EmbeddedImageBatch<Note: Sendable>: Sendable {
    public var notes: [Note]
    public var vectors: [ImageResult<[Float]>]
}

/// Decode → preprocess → batch, with one prefetching stage: a producer thread prepares the next
/// batches (reading, decoding and preprocessing its images on all cores) while the caller runs the
/// image tower on the current one (`CLIPEmbedder.encode`), never more than `prefetchedBatches` ahead.
/// Every image path goes through it: `embed`, the indexer's photos and video frames, image queries,
/// and training data (which stops before the tower).
public struct ImagePipeline: Sendable {
    public var preprocessor: CLIPImagePreprocessor
    /// Side of the square model input; a preprocessed image of another size is an error.
    public var imageSize: Int
    public var decoding: ImageDecoding
    /// Items per batch (per forward pass).
    public var batchSize: Int
    /// Batches waiting in the queue ahead of the consumer.
    public var prefetchedBatches: Int

    public init(preprocessor: CLIPImagePreprocessor, imageSize: Int, decoding: ImageDecoding = .exact, batchSize: Int = 32,
                prefetchedBatches: Int = 1) {
        self.preprocessor = preprocessor
        self.imageSize = imageSize
        self.decoding = decoding
        self.batchSize = max(1, batchSize)
        self.prefetchedBatches = max(1, prefetchedBatches)
    }

    /// Stage 1: a source to RGB, as `decoding` says.
    public func decode(_ source: ImageSource) throws -> RGBImage {
        let shortSide = preprocessor.shortestEdge
        switch (source, decoding.scalesJPEG) {
        case (.image(let image), _):
            return image
        case (.file(let url), false):
            return try ImageDecoder.decode(fileAt: url, limits: decoding.limits)
        case (.file(let url), true):
            return try ImageDecoder.decode(fileAt: url, limits: decoding.limits, minimumShortSide: shortSide)
        case (.data(let data, let name), false):
            return try ImageDecoder.decode(data: data, name: name, limits: decoding.limits)
        case (.data(let data, let name), true):
            return try ImageDecoder.decode(data: data, name: name, limits: decoding.limits, minimumShortSide: shortSide)
        }
    }

    /// Stages 1 and 2 for one source: its model input, 3 × `imageSize`² values.
    public func preprocess(_ source: ImageSource) throws -> [Float] {
        let values = preprocessor.pixelValues(for: try decode(source))
        let expected = 3 * imageSize * imageSize
        guard values.count == expected else {
            throw ModelError.invalidInput((source.name.map { $0 + ": " } ?? "") + "preprocessing gave \(values.count) values, expected \(expected)")
        }
        return values
    }

    /// Stages 1–3 for one batch: `input` (the caller's first step), decode and preprocess run on all
    /// cores; the rows that have an image are packed into one tensor, in order.
    public func prepare<Item, Note>(_ items: [Item], input: (Item) -> ImageInput<Note>) -> PreparedImageBatch<Note> {
        var slots = [(note: Note, pixels: Result<[Float], Error>?)?](repeating: nil, count: items.count)
        slots.withUnsafeMutableBufferPointer { buffer in
            let shared = UncheckedSendable(value: buffer)
            Parallel.forRanges(count: items.count, minimumPerThread: 1) { start, end in
                for index in start..<end {
                    switch input(items[index]) {
                    case .image(let source, let note):
                        shared.value[index] = (note, Result(catching: { try preprocess(source) }))
                    case .skip(let note):
                        shared.value[index] = (note, nil)
                    case .failed(let error, let note):
                        shared.value[index] = (note, .failure(error))
                    }
                }
            }
        }
        let plane = 3 * imageSize * imageSize
        var rows: [ImageResult<Int>] = [], rowCount = 0
        for slot in slots {
            switch slot?.pixels {
            case .success:
                rows.append(.value(rowCount))
                rowCount += 1
            case .failure(let error): rows.append(.failed(error))
            case nil: rows.append(.skipped)
            }
        }
        let pixelValues = Tensor(uninitializedShape: [rowCount, 3, imageSize, imageSize])
        for (slot, row) in zip(slots, rows) {
            guard case .value(let index) = row, case .success(let values) = slot?.pixels else { continue }
            values.withUnsafeBufferPointer { (pixelValues.pointer + index * plane).update(from: $0.baseAddress!, count: plane) }
        }
        // `forRanges` covers every index, so every slot is filled.
        return PreparedImageBatch(notes: slots.compactMap { $0?.note }, rows: rows, pixelValues: pixelValues)
    }

    /// The prefetching stage: `produce` runs on a producer thread and emits items, which are grouped
    /// into batches of `batchSize` and prepared there; `consume` takes the batches in order on the
    /// calling thread and returns false to stop. An error thrown by `produce` reaches the caller after
    /// the full batches emitted before it (an unfinished batch is dropped: its work would be thrown
    /// away with the error); see `Prefetch.run`.
    public func run<Item, Note: Sendable>(
        produce: @escaping @Sendable (_ emit: (Item) throws -> Void) throws -> Void,
        input: @escaping @Sendable (Item) -> ImageInput<Note>,
        consume: (PreparedImageBatch<Note>) throws -> Bool
    ) throws {
        let pipeline = self
        try Prefetch.run(capacity: prefetchedBatches, produce: { push in
            var pending: [Item] = []
            pending.reserveCapacity(pipeline.batchSize)
            try produce { item in
                pending.append(item)
                guard pending.count == pipeline.batchSize else { return }
                try push(pipeline.prepare(pending, input: input))
                pending.removeAll(keepingCapacity: true)
            }
            if !pending.isEmpty { try push(pipeline.prepare(pending, input: input)) }
        }, consume: consume)
    }

    /// `run` over items known in advance.
    public func run<Item: Sendable, Note: Sendable>(
        _ items: [Item], input: @escaping @Sendable (Item) -> ImageInput<Note>,
        consume: (PreparedImageBatch<Note>) throws -> Bool
    ) throws {
        try run(produce: { emit in for item in items { try emit(item) } }, input: input, consume: consume)
    }
}
