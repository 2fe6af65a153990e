import Catalog
import VectorIndex

public struct DuplicateReport: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var mediaID: Int64
        public var path: String
        /// Cosine to the group's first member.
        public var score: Float
    }

    public var members: [Member]
    public var minimumScore: Float
}

public enum DuplicateFinder {
    /// Default cosine for "the same photo": resized, recompressed and lightly cropped copies of a
    /// photo stay above it with CLIP ViT-B/32, while distinct shots of one scene mostly fall
    /// below (0.85–0.93). Lower it (e.g. 0.90) to group bursts and similar shots.
    public static let defaultThreshold: Float = 0.95

    /// The model whose vectors to compare: the given one, or the catalog's only model.
    public static func modelID(catalog: Catalog, requested: String?) throws -> String {
        let models = try catalog.models().filter { $0.embeddingCount > 0 }
        if let requested {
            guard models.contains(where: { $0.id == requested }) else {
                if models.isEmpty { throw SearchError.emptyCatalog(path: catalog.path) }
                throw SearchError.modelMismatch(requested: requested, requestedName: requested, available: models.map { "\($0.name) (\($0.id))" })
            }
            return requested
        }
        guard let only = models.first else { throw SearchError.emptyCatalog(path: catalog.path) }
        guard models.count == 1 else {
            throw SearchError.invalidOption(name: "--model", reason: "the catalog holds vectors of several models ("
                + models.map { "\($0.name) \($0.id)" }.joined(separator: ", ") + "); choose one with --model")
        }
        return only.id
    }

    /// Near-duplicate groups among the photos of `modelID`, largest groups first.
    public static func find(catalog: Catalog, modelID: String, threshold: Float = defaultThreshold) throws -> [DuplicateReport] {
        let table = try catalog.loadEmbeddings(modelID: modelID, mediaType: .photo)
        guard table.count > 1 else { return [] }
        return try NearDuplicates.groups(vectors: table.vectors, dimension: table.dimension, threshold: threshold).map { group in
            DuplicateReport(
                members: group.members.map { member in
                    let entry = table.entries[member.row]
                    return DuplicateReport.Member(mediaID: entry.mediaID, path: entry.path, score: member.score)
                },
                minimumScore: group.minimumScore)
        }
    }
}
