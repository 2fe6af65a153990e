import Catalog
import Foundation
import Media
import VectorIndex

/// A search hit: a photo, or a moment (segment) of a video.
public struct MomentResult: Sendable, Equatable {
    public var rank: Int
    /// Cosine of the photo, or of the moment's best frame.
    public var score: Float
    public var mediaID: Int64
    public var path: String
    public var mediaType: MediaType
    /// The peak frame's time for a video, 0 for a photo.
    public var frameTime: Double
    /// The matching segment, videos only.
    public var moment: Moment?

    public init(rank: Int, score: Float, mediaID: Int64, path: String, mediaType: MediaType, frameTime: Double, moment: Moment?) {
        self.rank = rank
        self.score = score
        self.mediaID = mediaID
        self.path = path
        self.mediaType = mediaType
        self.frameTime = frameTime
        self.moment = moment
    }
}

/// Which rows may produce results.
public struct MomentFilter: Sendable, Equatable {
    public var mediaType: MediaType?
    /// Only media under this folder (a path prefix; a trailing "/" is added when missing).
    public var folder: String?
    /// Only photos, and video frames, with cosine ≥ this.
    public var threshold: Float?
    /// Leave this item out ("more like this" must not return the item itself).
    public var excludedMediaID: Int64?

    public init(mediaType: MediaType? = nil, folder: String? = nil, threshold: Float? = nil, excludedMediaID: Int64? = nil) {
        self.mediaType = mediaType
        self.folder = folder
        self.threshold = threshold
        self.excludedMediaID = excludedMediaID
    }

    var folderPrefix: String? {
        guard let folder, !folder.isEmpty else { return nil }
        return folder.hasSuffix("/") ? folder : folder + "/"
    }
}

/// Ranks photos and video moments together: a video's frame scores are merged into non-overlapping
/// moments (see `MomentMerger`), each ranked by its peak score next to the photos' scores. The one
/// implementation behind `clip-search search` and the server's `/api/search`.
public struct MomentSearch: Sendable {
    public let searcher: Searcher
    public var merger: MomentMerger

    public init(searcher: Searcher, merger: MomentMerger = MomentMerger()) {
        self.searcher = searcher
        self.merger = merger
    }

    public func search(_ query: Query, top: Int, threshold: Float? = nil) throws -> [MomentResult] {
        try search(vector: try searcher.queryVector(query), top: top, filter: MomentFilter(threshold: threshold))
    }

    public func search(vector: [Float], top: Int, threshold: Float? = nil) throws -> [MomentResult] {
        try search(vector: vector, top: top, filter: MomentFilter(threshold: threshold))
    }

    public func search(vector: [Float], top: Int, filter: MomentFilter) throws -> [MomentResult] {
        guard top >= 1 else { throw SearchError.invalidOption(name: "top", reason: "\(top) must be at least 1") }
        let (entries, scores) = try searcher.allScores(vector: vector)
        let catalog = searcher.catalog
        return Self.rank(entries: entries, scores: scores, filter: filter, top: top, merger: merger) { mediaID in
            try? catalog.media(id: mediaID)?.duration
        }
    }

    /// The `top` best photos and moments of `scores` (aligned with `entries`), best first, ranked
    /// from 1. A moment that reaches its video's last sample lasts until the video's end, which only
    /// the catalog knows: `duration` is asked for the returned moments only, not for every video.
    public static func rank(entries: [EmbeddingTable.Entry], scores: [Float], filter: MomentFilter, top: Int,
                            merger: MomentMerger = MomentMerger(), duration: (Int64) -> Double? = { _ in nil }) -> [MomentResult] {
        guard top >= 1, entries.count == scores.count else { return [] }
        let folder = filter.folderPrefix
        // Photos: bounded top-k over a copy of the scores where every other row is excluded, so the
        // selection never builds a result for the other 100k rows.
        var photoScores = [Float](repeating: -.infinity, count: scores.count)
        var frames: [Int64: (path: String, frames: [ScoredFrame])] = [:]
        let wantsPhotos = filter.mediaType != .video, wantsVideos = filter.mediaType != .photo
        // Indexed access reads fields in place (no copy of each row's path string).
        for row in entries.indices {
            if let excluded = filter.excludedMediaID, entries[row].mediaID == excluded { continue }
            if let folder, !entries[row].path.hasPrefix(folder) { continue }
            switch entries[row].mediaType {
            case .photo where wantsPhotos:
                photoScores[row] = scores[row]
            case .video where wantsVideos:
                let frame = ScoredFrame(time: entries[row].frameTime, score: scores[row])
                frames[entries[row].mediaID, default: (entries[row].path, [])].frames.append(frame)
            default:
                continue
            }
        }
        // A finite floor keeps the excluded rows (-infinity) out even when fewer photos than `top` remain.
        let floor = max(filter.threshold ?? -.greatestFiniteMagnitude, -.greatestFiniteMagnitude)
        var results = FlatVectorIndex.best(of: photoScores, top: top, threshold: floor).map { hit in
            MomentResult(rank: 0, score: hit.score, mediaID: entries[hit.row].mediaID, path: entries[hit.row].path,
                         mediaType: .photo, frameTime: 0, moment: nil)
        }
        var merger = merger
        merger.threshold = filter.threshold.map { max($0, merger.threshold ?? $0) } ?? merger.threshold
        // Moments come best first per video, so capping them at `top` keeps pages consistent.
        merger.maximumMoments = min(merger.maximumMoments, top)
        var reachingEnd = Set<MomentKey>()
        for (mediaID, video) in frames {
            for moment in merger.moments(of: video.frames, duration: nil) {
                // Every sample from the start on belongs to the moment: it runs to the video's end.
                if video.frames.lazy.filter({ $0.time >= moment.start }).count == moment.frameCount {
                    reachingEnd.insert(MomentKey(mediaID: mediaID, start: moment.start))
                }
                results.append(MomentResult(rank: 0, score: moment.peakScore, mediaID: mediaID, path: video.path,
                                            mediaType: .video, frameTime: moment.peakTime, moment: moment))
            }
        }
        results.sort { ($0.score, $1.path, $1.frameTime) > ($1.score, $0.path, $0.frameTime) }
        return results.prefix(top).enumerated().map { rank, result in
            var ranked = result
            ranked.rank = rank + 1
            if let moment = result.moment, reachingEnd.contains(MomentKey(mediaID: result.mediaID, start: moment.start)),
               let length = duration(result.mediaID) {
                ranked.moment?.end = max(moment.end, length)
            }
            return ranked
        }
    }
}

private struct MomentKey: Hashable {
    var mediaID: Int64
    var start: Double
}
