import Foundation

/// A sampled frame's similarity to a query.
public struct ScoredFrame: Sendable, Equatable {
    public var time: Double
    public var score: Float

    public init(time: Double, score: Float) {
        self.time = time
        self.score = score
    }
}

/// A matching segment of one video. `end` is where the next (non-matching) sample starts, or the
/// video's end, so the segment covers the whole stretch its frames represent.
public struct Moment: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var peakTime: Double
    public var peakScore: Float
    /// Sampled frames inside the segment.
    public var frameCount: Int

    public init(start: Double, end: Double, peakTime: Double, peakScore: Float, frameCount: Int) {
        self.start = start
        self.end = end
        self.peakTime = peakTime
        self.peakScore = peakScore
        self.frameCount = frameCount
    }
}

/// Merges consecutive matching frames of one video into non-overlapping moments.
///
/// Greedy from the best frame: the best unclaimed frame is a peak; its segment grows over
/// neighbouring frames (in time order, stopping at a claimed one) while their score stays above the
/// cut-off. The cut-off is relative because CLIP cosines are not calibrated (a good text match may
/// score 0.3, a photo of the same scene 0.9): peak − max(minimumDrop, relativeDrop × (peak − the
/// video's lowest score)), and never below `threshold`. Only local maxima start a moment, so the
/// shoulder next to a moment does not come back as a second result. Every frame belongs to at most one moment,
/// so no two results cover the same time.
public struct MomentMerger: Sendable, Equatable {
    /// Absolute minimum score of any frame in a moment (and of its peak); nil: none.
    public var threshold: Float?
    public var relativeDrop: Float
    public var minimumDrop: Float
    /// Moments per video at most.
    public var maximumMoments: Int

    public init(threshold: Float? = nil, relativeDrop: Float = 0.5, minimumDrop: Float = 0.02, maximumMoments: Int = 10) {
        self.threshold = threshold
        self.relativeDrop = relativeDrop
        self.minimumDrop = minimumDrop
        self.maximumMoments = maximumMoments
    }

    /// Moments, best first. `duration` closes a segment that reaches the last sample.
    public func moments(of frames: [ScoredFrame], duration: Double?) -> [Moment] {
        let ordered = frames.filter { $0.score.isFinite && $0.time.isFinite }.sorted { $0.time < $1.time }
        guard let lowest = ordered.map(\.score).min() else { return [] }
        var claimed = [Bool](repeating: false, count: ordered.count)
        let byScore = ordered.indices.sorted { ordered[$0].score > ordered[$1].score }
        var result: [Moment] = []
        // Later moments must stand out as much as the best one's segment does: the background of a
        // video is not a moment.
        var minimumPeak = -Float.infinity
        for peak in byScore where !claimed[peak] {
            guard result.count < maximumMoments else { break }
            let peakScore = ordered[peak].score
            if let threshold, peakScore < threshold { break }
            if peakScore < minimumPeak { break }
            // A frame sloping up to a better neighbour is the shoulder of another moment, not a peak.
            if peak > 0 && ordered[peak - 1].score > peakScore { continue }
            if peak + 1 < ordered.count && ordered[peak + 1].score > peakScore { continue }
            var cutoff = peakScore - max(minimumDrop, relativeDrop * (peakScore - lowest))
            if let threshold { cutoff = max(cutoff, threshold) }
            if result.isEmpty { minimumPeak = cutoff }
            var first = peak, last = peak
            while first > 0 && !claimed[first - 1] && ordered[first - 1].score >= cutoff { first -= 1 }
            while last + 1 < ordered.count && !claimed[last + 1] && ordered[last + 1].score >= cutoff { last += 1 }
            for index in first...last { claimed[index] = true }
            let end = last + 1 < ordered.count ? ordered[last + 1].time : max(duration ?? ordered[last].time, ordered[last].time)
            result.append(Moment(start: ordered[first].time, end: end, peakTime: ordered[peak].time,
                                 peakScore: peakScore, frameCount: last - first + 1))
        }
        return result
    }
}
