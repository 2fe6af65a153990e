import Catalog
import CLIPModels
import Foundation
import VectorIndex

public struct SearchResult: Sendable, Equatable {
    public var rank: Int
    public var score: Float
    public var mediaID: Int64
    public var path: String
    public var mediaType: MediaType
    /// Seconds into a video; 0 for photos.
    public var frameTime: Double
}

/// Exact search over every vector one model has in the catalog. Loads the vectors once (a snapshot:
/// create a new Searcher, or call `reload`, to see what an index run committed since).
public final class Searcher: @unchecked Sendable {
    public let catalog: Catalog
    public let model: SearchModel
    /// How image queries are decoded: as the indexer decodes photos, so an indexed image queried by itself scores 1.
    public let imageDecoding = ImageDecoding.scaledJPEG
    private let lock = NSLock()
    private var table: EmbeddingTable
    private var index: FlatVectorIndex

    public init(catalog: Catalog, model: SearchModel, mediaType: MediaType? = nil) throws {
        self.catalog = catalog
        self.model = model
        (table, index) = try Self.load(catalog: catalog, model: model, mediaType: mediaType)
    }

    public var count: Int { lock.withLock { table.count } }

    public func reload(mediaType: MediaType? = nil) throws {
        let loaded = try Self.load(catalog: catalog, model: model, mediaType: mediaType)
        lock.withLock { (table, index) = loaded }
    }

    /// The catalog's vectors of this model; a catalog indexed only with other models is an error.
    static func load(catalog: Catalog, model: SearchModel, mediaType: MediaType?) throws -> (EmbeddingTable, FlatVectorIndex) {
        let models = try catalog.models().filter { $0.embeddingCount > 0 }
        guard models.contains(where: { $0.id == model.identifier }) else {
            if models.isEmpty { throw SearchError.emptyCatalog(path: catalog.path) }
            throw SearchError.modelMismatch(requested: model.identifier, requestedName: model.name,
                                            available: models.map { "\($0.name) (\($0.id))" })
        }
        let table = try catalog.loadEmbeddings(modelID: model.identifier, mediaType: mediaType)
        guard table.dimension == model.embedder.dimension else {
            throw CatalogError.dimensionMismatch(path: catalog.path, model: model.identifier, expected: table.dimension, found: model.embedder.dimension)
        }
        return (table, try FlatVectorIndex(dimension: table.dimension, vectors: table.vectors))
    }

    /// Unit query vector: texts through the text tower, images through the indexer's decode path
    /// (so an indexed image queried by itself scores 1).
    public func queryVector(_ query: Query) throws -> [Float] {
        try Self.queryVector(query, model: model, imageDecoding: imageDecoding)
    }

    public static func queryVector(_ query: Query, model: SearchModel, imageDecoding: ImageDecoding = .scaledJPEG) throws -> [Float] {
        var embeddings = [[Float]?](repeating: nil, count: query.terms.count)
        var texts: [(Int, String)] = [], images: [(Int, String)] = []
        for (position, term) in query.terms.enumerated() {
            switch term.input {
            case .text(let text): texts.append((position, text))
            case .image(let path): images.append((position, path))
            }
        }
        for ((position, _), vector) in zip(texts, try model.embedder.embed(texts: texts.map(\.1))) { embeddings[position] = vector }
        let vectors = model.embedder.embed(imageFiles: images.map { URL(fileURLWithPath: $0.1) }, decoding: imageDecoding)
        for ((position, _), result) in zip(images, vectors) { embeddings[position] = try result.get() }
        return try query.combine(embeddings.compactMap { $0 })
    }

    public func search(_ query: Query, top: Int, threshold: Float? = nil) throws -> [SearchResult] {
        try search(vector: try queryVector(query), top: top, threshold: threshold)
    }

    /// Best `top` vectors by cosine (video frames are separate rows; merge them into moments above).
    public func search(vector: [Float], top: Int, threshold: Float? = nil) throws -> [SearchResult] {
        let (table, index) = lock.withLock { (self.table, self.index) }
        return try index.search(vector, top: top, threshold: threshold).enumerated().map { rank, hit in
            let entry = table.entries[hit.row]
            return SearchResult(rank: rank + 1, score: hit.score, mediaID: entry.mediaID, path: entry.path,
                                mediaType: entry.mediaType, frameTime: entry.frameTime)
        }
    }

    /// Cosine of every row with `vector`, aligned with `entries` (for segment merging over frames).
    public func allScores(vector: [Float]) throws -> (entries: [EmbeddingTable.Entry], scores: [Float]) {
        let (table, index) = lock.withLock { (self.table, self.index) }
        return (table.entries, try index.scores(queries: [vector])[0])
    }
}
