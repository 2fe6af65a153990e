import Catalog
import CLIPModels
import Dispatch
import Foundation
import Media
import TensorCore

public struct IndexOptions: Sendable {
    public var roots: [String]
    public var includeHidden = false
    /// Photos per transaction and per forward pass.
    public var batchSize = 32
    /// How photos are decoded: large JPEGs DCT-scaled by default (`.exact` only to compare with it).
    public var photoDecoding = ImageDecoding.scaledJPEG
    /// Videos are indexed too when set; nil indexes photos only and leaves video rows alone.
    public var videos: VideoIndexOptions?
    /// Test hook: sleep after each committed batch so a test can kill the process mid-run.
    public var pauseAfterBatch: Double = 0

    public init(roots: [String]) {
        self.roots = roots
    }
}

public struct VideoIndexOptions: Sendable {
    public var tools: FFmpegTools
    public var sampling = SamplingOptions()
    /// The most precision frame embeddings get. bf16 (default): one bf16 pass on AMX weights, ~3×
    /// less tile work than bf16x3, frame vectors within ~2e-3 per element (cosine ≥ 0.9999), about
    /// what `fast` decoding's skipped deblocking does on long-GOP video (`video-precision.sh`).
    /// nil: the model's own precision, as for photos.
    public var framePrecisionLimit: MatrixPrecision? = .bfloat16

    public init(tools: FFmpegTools) {
        self.tools = tools
    }
}

public struct IndexFailure: Sendable, Equatable, Codable {
    public var path: String
    public var reason: String
}

/// What one run did, as `index --json` prints it (the counters at the top level).
public struct IndexSummary: Sendable, Codable {
    public var runID: Int64
    public var counters: IndexRunCounters
    public var failures: [IndexFailure]
    /// Folders that could not be listed (their files are neither indexed nor removed).
    public var unreadableFolders: [String]
    public var interrupted: Bool
    public var seconds: Double
}

extension IndexSummary {
    enum CodingKeys: String, CodingKey {
        case runID = "run_id", interrupted, seconds, failures, unreadableFolders = "unreadable_folders"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        runID = try container.decode(Int64.self, forKey: .runID)
        counters = try IndexRunCounters(from: decoder)
        failures = try container.decode([IndexFailure].self, forKey: .failures)
        unreadableFolders = try container.decode([String].self, forKey: .unreadableFolders)
        interrupted = try container.decode(Bool.self, forKey: .interrupted)
        seconds = try container.decode(Double.self, forKey: .seconds)
    }

    public func encode(to encoder: Encoder) throws {
        try counters.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runID, forKey: .runID)
        try container.encode(interrupted, forKey: .interrupted)
        try container.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
        try container.encode(failures, forKey: .failures)
        try container.encode(unreadableFolders, forKey: .unreadableFolders)
    }
}

/// Reported after the scan, after every committed photo batch, and while videos are sampled.
public struct IndexProgress: Sendable {
    /// Files done of those needing work (photos first, then videos).
    public var processed: Int
    public var total: Int
    /// The run's wall-clock seconds so far.
    public var seconds: Double
    /// While videos are indexed: which one and how far into it.
    public var video: VideoIndexProgress?
}

public struct VideoIndexProgress: Sendable {
    public var path: String
    public var videoIndex: Int
    public var videoCount: Int
    /// Seconds of this video processed, and its duration.
    public var position: Double
    public var duration: Double
    /// Seconds of video processed in this run, over all videos, and the wall-clock seconds of the
    /// run's video stage so far.
    public var totalVideoSeconds: Double
    public var seconds: Double
}

/// Brings the catalog in line with folders on disk for one model: photos and videos in one run.
///
/// The stages of a run: **scan** (one walk of the folders and the catalog's rows under them) →
/// **classify** (same size and modification time and a vector, or a recorded failure: unchanged,
/// never read; the rest needs work; rows whose file is gone are move candidates) → **embed and
/// commit** photos in batches through the image pipeline (identical bytes already embedded are a
/// move, rename or copy and are not decoded), then videos one by one, each batch or video one
/// transaction carrying the run's counters → **remove** rows whose file vanished, only after a
/// complete run, so moves spread over batches are still found → **finish** the run row.
/// An interrupted run loses at most the batch in flight and the next run resumes where it stopped.
/// A run holds the catalog's index lock from start to end.
public final class Indexer: Sendable {
    public let catalog: Catalog
    public let model: SearchModel

    public init(catalog: Catalog, model: SearchModel) {
        self.catalog = catalog
        self.model = model
    }

    public func run(_ options: IndexOptions, shouldStop: @escaping @Sendable () -> Bool = { false },
                    progress: (IndexProgress) -> Void = { _ in }) throws -> IndexSummary {
        guard options.batchSize >= 1 else { throw SearchError.invalidOption(name: "batch size", reason: "\(options.batchSize) must be at least 1") }
        let lock = try IndexRunLock(catalogPath: catalog.path)
        defer { withExtendedLifetime(lock) {} }
        let started = DispatchTime.now().uptimeNanoseconds
        let elapsed = { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }

        let plan = try classify(try scan(options))
        let log = try IndexRunLog.begin(catalog: catalog, model: model, roots: plan.roots, counters: plan.counters)
        func report(_ processed: Int, _ video: VideoIndexProgress?) {
            progress(IndexProgress(processed: processed, total: plan.photos.count + plan.videos.count, seconds: elapsed(), video: video))
        }
        report(0, nil)
        var interrupted = try indexPhotos(plan, options: options, log: log, shouldStop: shouldStop) { report($0, nil) }
        if !interrupted, let videos = options.videos {
            interrupted = try indexVideos(plan.videos, options: videos, log: log, shouldStop: shouldStop) { done, video in
                report(plan.photos.count + done, video)
            }
        }
        if interrupted {
            try log.finishInterrupted()
        } else {
            try log.removeMissing(plan.missing)
        }
        return IndexSummary(runID: log.runID, counters: log.counters, failures: log.failures, unreadableFolders: plan.unreadableFolders,
                            interrupted: interrupted, seconds: elapsed())
    }
}

/// The part of an error message after the path it starts with (the summary shows the path apart).
func failureReason(_ error: Error, path: String) -> String {
    let text = "\(error)"
    return text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text
}
