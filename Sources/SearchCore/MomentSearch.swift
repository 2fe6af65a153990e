import Catalog
import Foundation
import Media

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
}

/// Ranks photos and video moments together: a video's frame scores are merged into non-overlapping
/// moments (see `MomentMerger`), each ranked by its peak score next to the photos' scores.
public struct MomentSearch: Sendable {
    public let searcher: Searcher
    public var merger: MomentMerger

    public init(searcher: Searcher, merger: MomentMerger = MomentMerger()) {
        self.searcher = searcher
        self.merger = merger
    }

    public func search(_ query: Query, top: Int, threshold: Float? = nil) throws -> [MomentResult] {
        try search(vector: try searcher.queryVector(query), top: top, threshold: threshold)
    }

    public func search(vector: [Float], top: Int, threshold: Float? = nil) throws -> [MomentResult] {
        guard top >= 1 else { throw SearchError.invalidOption(name: "top", reason: "\(top) must be at least 1") }
        let (entries, scores) = try searcher.allScores(vector: vector)
        var results: [MomentResult] = []
        var frames: [Int64: (path: String, frames: [ScoredFrame])] = [:]
        for (entry, score) in zip(entries, scores) {
            switch entry.mediaType {
            case .photo:
                if let threshold, score < threshold { continue }
                results.append(MomentResult(rank: 0, score: score, mediaID: entry.mediaID, path: entry.path,
                                            mediaType: .photo, frameTime: 0, moment: nil))
            case .video:
                frames[entry.mediaID, default: (entry.path, [])].frames.append(ScoredFrame(time: entry.frameTime, score: score))
            }
        }
        var merger = self.merger
        merger.threshold = threshold.map { max($0, merger.threshold ?? $0) } ?? merger.threshold
        merger.maximumMoments = min(merger.maximumMoments, top)
        for (mediaID, video) in frames {
            let duration = try searcher.catalog.media(id: mediaID)?.duration
            for moment in merger.moments(of: video.frames, duration: duration) {
                results.append(MomentResult(rank: 0, score: moment.peakScore, mediaID: mediaID, path: video.path,
                                            mediaType: .video, frameTime: moment.peakTime, moment: moment))
            }
        }
        results.sort { ($0.score, $1.path, $1.frameTime) > ($1.score, $0.path, $0.frameTime) }
        return results.prefix(top).enumerated().map { rank, result in
            var ranked = result
            ranked.rank = rank + 1
            return ranked
        }
    }
}
