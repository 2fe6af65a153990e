import Catalog
import CLIPModels
import Dispatch
import Foundation
import ImageCodecs
import ModelStore
import TensorCore

/// One file read, hashed and (unless its content is already embedded) decoded to model input.
struct PreparedImage {
    enum Outcome {
        case pixels([Float])
        /// Identical bytes already have a vector (media id): a move or a copy, nothing to embed.
        case known(Int64)
        case failed(String)
    }

    var contentHash: String
    var width: Int?
    var height: Int?
    var outcome: Outcome
}

/// Decoding and preprocessing for the indexer and for image queries, with DCT-scaled JPEG decoding.
public struct ImagePipeline: Sendable {
    public let embedder: CLIPEmbedder
    public var limits: DecodeLimits
    /// Off only to measure the exact path against the scaled one.
    public var allowsJPEGScaling: Bool

    public init(embedder: CLIPEmbedder, limits: DecodeLimits = .default, allowsJPEGScaling: Bool = true) {
        self.embedder = embedder
        self.limits = limits
        self.allowsJPEGScaling = allowsJPEGScaling
    }

    /// Decodes a file as the indexer does: large JPEGs DCT-scaled to the preprocessor's resize target
    /// (`ImageDecoder.decode(…minimumShortSide:)`), unless scaling is turned off.
    public func decode(data: Data, name: String) throws -> RGBImage {
        guard allowsJPEGScaling else { return try ImageDecoder.decode(data: data, name: name, limits: limits) }
        return try ImageDecoder.decode(data: data, name: name, limits: limits, minimumShortSide: embedder.preprocessor.shortestEdge)
    }

    func prepare(path: String, knownHashes: [String: Int64]) -> PreparedImage {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: [.mappedIfSafe]) } catch {
            return PreparedImage(contentHash: "", outcome: .failed("cannot read file: \(error.localizedDescription)"))
        }
        let hash = SHA256.hexDigest(of: data)
        if let known = knownHashes[hash] { return PreparedImage(contentHash: hash, outcome: .known(known)) }
        do {
            let image = try decode(data: data, name: path)
            let info = try? ImageDecoder.readInfo(data: data, name: path, limits: limits)
            return PreparedImage(contentHash: hash, width: info?.width ?? image.width, height: info?.height ?? image.height,
                                 outcome: .pixels(embedder.preprocessor.pixelValues(for: image)))
        } catch {
            return PreparedImage(contentHash: hash, outcome: .failed(Self.reason(error, path: path)))
        }
    }

    /// Prepares files on all cores.
    func prepare(paths: [String], knownHashes: [String: Int64]) -> [PreparedImage] {
        var results = [PreparedImage?](repeating: nil, count: paths.count)
        results.withUnsafeMutableBufferPointer { slots in
            let shared = UncheckedSendable(value: slots)
            Parallel.forRanges(count: paths.count, minimumPerThread: 1) { start, end in
                for index in start..<end { shared.value[index] = prepare(path: paths[index], knownHashes: knownHashes) }
            }
        }
        return results.map { $0 ?? PreparedImage(contentHash: "", outcome: .failed("not prepared")) }
    }

    /// Unit vectors for preprocessed images, in order.
    func encode(_ pixels: [[Float]]) throws -> [[Float]] {
        guard !pixels.isEmpty else { return [] }
        let size = embedder.model.imageSize
        let plane = 3 * size * size
        let tensor = Tensor(uninitializedShape: [pixels.count, 3, size, size])
        for (index, values) in pixels.enumerated() {
            values.withUnsafeBufferPointer { (tensor.pointer + index * plane).update(from: $0.baseAddress!, count: plane) }
        }
        let embeddings = try embedder.model.encodeImages(pixelValues: tensor)
        Operations.normalizeRowsInPlace(embeddings)
        return (0..<pixels.count).map { embeddings.row($0) }
    }

    /// Embeds image files (for queries and classification); a file that fails yields its error.
    public func embed(imageFiles paths: [String]) -> [Result<[Float], SearchError>] {
        var results: [Result<[Float], SearchError>] = []
        for start in stride(from: 0, to: paths.count, by: embedder.imageBatchSize) {
            let batch = Array(paths[start..<min(paths.count, start + embedder.imageBatchSize)])
            let prepared = prepare(paths: batch, knownHashes: [:])
            var pixels: [[Float]] = []
            for item in prepared { if case .pixels(let values) = item.outcome { pixels.append(values) } }
            let vectors: Result<[[Float]], Error> = Result { try encode(pixels) }
            var next = 0
            for (path, item) in zip(batch, prepared) {
                switch (item.outcome, vectors) {
                case (.pixels, .success(let encoded)):
                    results.append(.success(encoded[next]))
                    next += 1
                case (.pixels, .failure(let error)):
                    results.append(.failure(.imageFailed(path: path, reason: "\(error)")))
                case (.failed(let reason), _):
                    results.append(.failure(.imageFailed(path: path, reason: reason)))
                case (.known, _):
                    results.append(.failure(.imageFailed(path: path, reason: "unexpected cache hit")))
                }
            }
        }
        return results
    }

    /// Embeds an image held in memory (an upload); `name` appears in error messages.
    public func embed(imageData data: Data, name: String) throws -> [Float] {
        let image: RGBImage
        do { image = try decode(data: data, name: name) } catch {
            throw SearchError.imageFailed(path: name, reason: Self.reason(error, path: name))
        }
        return try encode([embedder.preprocessor.pixelValues(for: image)])[0]
    }

    /// The decoder's message without the path it already starts with (the caller shows the path).
    static func reason(_ error: Error, path: String) -> String {
        let text = "\(error)"
        return text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text
    }
}
