import Foundation

/// JSON shapes of the REST API (encoded with snake_case keys).
public struct SearchHit: Codable, Sendable, Equatable {
    public var rank: Int
    public var score: Float
    public var mediaId: Int64
    public var path: String
    public var folder: String
    public var type: String
    /// Video moments: the segment of consecutive matching frames and its best frame, in seconds.
    public var start: Double?
    public var end: Double?
    public var peak: Double?
    public var thumbnailUrl: String
    public var mediaUrl: String
}

public struct SearchPage: Codable, Sendable {
    public var results: [SearchHit]
    public var offset: Int
    public var limit: Int
    public var hasMore: Bool
    public var tookMs: Double
}

public struct SearchRequest: Sendable {
    public var text: String?
    public var negativeText: String?
    public var imageData: Data?
    public var imageName = "upload"
    public var likeMediaID: Int64?
    public var textWeight: Float = 1
    public var imageWeight: Float = 1
    public var mediaType: String?
    public var folder: String?
    public var offset = 0
    public var limit = 24
    public var threshold: Float?

    public init() {}
}

public struct LabelProbability: Codable, Sendable {
    public var label: String
    public var probability: Float
    public var cosine: Float
}

public struct EmbedResponse: Codable, Sendable {
    public var model: String
    public var dimension: Int
    public var vectors: [[Float]]
}

public struct FolderCount: Codable, Sendable {
    public var folder: String
    public var count: Int
}

public struct StatsResponse: Codable, Sendable {
    public var catalog: String
    public var media: Int
    public var photos: Int
    public var videos: Int
    public var failed: Int
    public var vectors: Int
    public var model: String
    public var modelName: String
    public var dimension: Int
    public var folders: [FolderCount]
}

public struct MediaInfo: Codable, Sendable {
    public var id: Int64
    public var path: String
    public var type: String
    public var size: Int64
    public var width: Int?
    public var height: Int?
    public var duration: Double?
    public var codec: String?
    public var thumbnailUrl: String
    public var mediaUrl: String
}
