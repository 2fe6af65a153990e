import Foundation

public enum MediaType: String, Sendable, Codable, CaseIterable {
    case photo, video
}

public enum MediaStatus: String, Sendable, Codable {
    /// Embedded (or, for a video, its frames are).
    case ok
    /// Could not be decoded; kept so an unchanged bad file is not retried on every run.
    case failed
}

/// One file in the catalog. Times are seconds since 1970.
public struct MediaRecord: Sendable, Equatable {
    public var id: Int64?
    public var path: String
    public var size: Int64
    public var modificationTime: Double
    /// Lower-case hex SHA-256 of the file's bytes.
    public var contentHash: String
    public var mediaType: MediaType
    public var width: Int?
    public var height: Int?
    /// Seconds, videos only.
    public var duration: Double?
    public var codec: String?
    public var indexedAt: Double
    public var status: MediaStatus
    public var error: String?

    public init(id: Int64? = nil, path: String, size: Int64, modificationTime: Double, contentHash: String,
                mediaType: MediaType = .photo, width: Int? = nil, height: Int? = nil, duration: Double? = nil,
                codec: String? = nil, indexedAt: Double = Date().timeIntervalSince1970,
                status: MediaStatus = .ok, error: String? = nil) {
        self.id = id
        self.path = path
        self.size = size
        self.modificationTime = modificationTime
        self.contentHash = contentHash
        self.mediaType = mediaType
        self.width = width
        self.height = height
        self.duration = duration
        self.codec = codec
        self.indexedAt = indexedAt
        self.status = status
        self.error = error
    }
}

/// A catalog entry as the incremental indexer needs it: the stored file identity plus whether
/// a vector exists for the model being indexed.
public struct MediaState: Sendable, Equatable {
    public var record: MediaRecord
    public var hasEmbedding: Bool
}

/// One vector to store: photos use frame time 0, video frames their timestamp in seconds.
public struct FrameEmbedding: Sendable, Equatable {
    public var frameTime: Double
    public var vector: [Float]

    public init(frameTime: Double = 0, vector: [Float]) {
        self.frameTime = frameTime
        self.vector = vector
    }
}

public struct ModelRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var dimension: Int
    public var embeddingCount: Int
}

/// All vectors of one model, row-major in one buffer so BLAS can scan them directly.
public struct EmbeddingTable: Sendable {
    public struct Entry: Sendable, Equatable {
        public var mediaID: Int64
        public var frameTime: Double
        public var path: String
        public var mediaType: MediaType
    }

    public var modelID: String
    public var dimension: Int
    public var entries: [Entry]
    /// entries.count × dimension floats.
    public var vectors: [Float]

    public var count: Int { entries.count }

    public func vector(at row: Int) -> ArraySlice<Float> {
        vectors[row * dimension..<(row + 1) * dimension]
    }
}

public struct IndexRunCounters: Sendable, Equatable, Codable {
    public var scanned = 0
    public var embedded = 0
    public var unchanged = 0
    public var moved = 0
    public var copied = 0
    public var removed = 0
    public var failed = 0

    public init() {}
}

public enum IndexRunStatus: String, Sendable, Codable {
    case running, completed, interrupted
}

public struct IndexRun: Sendable, Equatable {
    public var id: Int64
    public var modelID: String
    public var roots: [String]
    public var startedAt: Double
    public var finishedAt: Double?
    public var status: IndexRunStatus
    public var counters: IndexRunCounters
}

public struct CatalogStatistics: Sendable, Equatable {
    public var mediaCount: Int
    public var photoCount: Int
    public var videoCount: Int
    public var failedCount: Int
    public var models: [ModelRecord]
}
