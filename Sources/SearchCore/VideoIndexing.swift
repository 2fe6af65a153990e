import Catalog
import Dispatch
import Foundation
import Media
import ModelStore
import TensorCore

public struct VideoIndexOptions: Sendable {
    public static let videoExtensions: Set<String> = ["mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ts", "m2ts", "wmv", "flv", "3gp", "ogv"]

    public var roots: [String]
    public var includeHidden = false
    public var sampling = SamplingOptions()
    /// The most precision frame embeddings get. bf16 (default): one bf16 pass on AMX weights, ~3×
    /// less tile work than bf16x3, frame vectors within ~2e-3 per element (cosine ≥ 0.9999), about
    /// what `fast` decoding's skipped deblocking does on long-GOP video (`video-precision.sh`).
    /// nil: the model's own precision, as for photos.
    public var framePrecisionLimit: MatrixPrecision? = .bfloat16

    public init(roots: [String]) {
        self.roots = roots
    }
}

/// Reported while a video is sampled (seconds of video done) and after each video.
public struct VideoIndexProgress: Sendable {
    public var path: String
    public var videoIndex: Int
    public var videoCount: Int
    /// Seconds of this video processed, and its duration.
    public var position: Double
    public var duration: Double
    /// Seconds of video processed in this run, over all videos, and the run's wall-clock seconds.
    public var totalVideoSeconds: Double
    public var seconds: Double
}

/// Indexes the videos under folders into the same catalog as photos: one vector per sampled frame
/// (keyed by its time), media type, duration, codec and size on the media row.
///
/// Incremental like the photo indexer (same size and modification time and vectors present, or a
/// recorded failure: skipped; identical content elsewhere: vectors copied). Each video commits in
/// one transaction, so an interrupted run keeps every finished video. Bad videos are recorded as
/// failed with the reason and skipped. Only video rows are ever touched or removed here.
public final class VideoIndexer: Sendable {
    public let catalog: Catalog
    public let model: SearchModel
    public let pipeline: ImagePipeline
    public let tools: FFmpegTools

    public init(catalog: Catalog, model: SearchModel, tools: FFmpegTools, pipeline: ImagePipeline? = nil) {
        self.catalog = catalog
        self.model = model
        self.tools = tools
        self.pipeline = pipeline ?? ImagePipeline(embedder: model.embedder)
    }

    /// The sampler's frame size follows the model's resize target.
    public func sampler(_ options: SamplingOptions) -> VideoFrameSampler {
        var options = options
        options.shortSide = model.embedder.preprocessor.shortestEdge
        return VideoFrameSampler(tools: tools, options: options)
    }

    public func run(_ options: VideoIndexOptions, shouldStop: @escaping @Sendable () -> Bool = { false },
                    progress: (VideoIndexProgress) -> Void = { _ in }) throws -> IndexSummary {
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        let modelID = model.identifier
        let roots = options.roots.map(MediaScanner.absolutePath)
        let scanner = MediaScanner(includeHidden: options.includeHidden,
                                   extensions: Dictionary(uniqueKeysWithValues: VideoIndexOptions.videoExtensions.map { ($0, MediaType.video) }))
        var scanned: [String: ScannedFile] = [:]
        var unreadable: [String] = []
        var known: [String: MediaState] = [:]
        for root in roots {
            let result = try scanner.scan(root: root)
            for file in result.files { scanned[file.path] = file }
            unreadable += result.unreadableFolders
            for state in try catalog.mediaStates(under: root, modelID: modelID) where state.record.mediaType == .video {
                known[state.record.path] = state
            }
        }
        // No video here and none known: leave no trace (no run row) in a photos-only catalog.
        if scanned.isEmpty && known.isEmpty {
            return IndexSummary(runID: 0, counters: IndexRunCounters(), failures: [], unreadableFolders: unreadable,
                                interrupted: false, seconds: elapsed())
        }
        let runID = try catalog.write("video run start") { writer in
            try writer.registerModel(id: modelID, name: model.name, dimension: model.embedder.dimension)
            return try writer.beginIndexRun(modelID: modelID, roots: roots)
        }
        var counters = IndexRunCounters()
        counters.scanned = scanned.count
        let work = filesNeedingWork(scanned, known: known, counters: &counters)
        let missing = known.values.filter { state in
            scanned[state.record.path] == nil && !unreadable.contains { state.record.path.hasPrefix($0 + "/") }
        }
        var failures: [IndexFailure] = []
        var videoSeconds = 0.0
        var interrupted = false
        let sampler = self.sampler(options.sampling)
        let probe = VideoProbe(tools: tools)
        var knownHashes = try catalog.embeddedContentHashes(modelID: modelID)

        for (videoIndex, file) in work.enumerated() {
            if shouldStop() {
                interrupted = true
                break
            }
            var record = MediaRecord(path: file.path, size: file.size, modificationTime: file.modificationTime,
                                     contentHash: "", mediaType: .video)
            let outcome: Result<[FrameEmbedding], Error>
            var copiedFrom: Int64?
            do {
                record.contentHash = try Self.fingerprint(path: file.path, size: file.size)
                let info = try probe.probe(path: file.path)
                (record.width, record.height) = (info.displayWidth, info.displayHeight)
                record.duration = info.duration
                record.codec = info.codec
                if let source = knownHashes[record.contentHash], try catalog.media(id: source)?.mediaType == .video {
                    copiedFrom = source
                    outcome = .success([])
                } else {
                    let base = videoSeconds
                    outcome = Result {
                        try MatrixPrecision.$productLimit.withValue(options.framePrecisionLimit) {
                            try embedFrames(path: file.path, info: info, sampler: sampler, shouldStop: shouldStop) { position in
                                progress(VideoIndexProgress(path: file.path, videoIndex: videoIndex, videoCount: work.count, position: position,
                                                            duration: info.duration, totalVideoSeconds: base + position, seconds: elapsed()))
                            }
                        }
                    }
                    if case .success = outcome { videoSeconds += info.duration }
                }
            } catch {
                outcome = .failure(error)
            }
            if case .failure(let error) = outcome, error is SamplingStopped {
                interrupted = true
                break
            }
            try catalog.write("video commit") { writer in
                switch outcome {
                case .success(let frames):
                    let id = try writer.upsertMedia(record)
                    knownHashes[record.contentHash] = id
                    if let copiedFrom {
                        try writer.copyEmbeddings(fromMediaID: copiedFrom, toMediaID: id, modelID: modelID)
                        counters.copied += 1
                    } else {
                        try writer.replaceEmbeddings(mediaID: id, modelID: modelID, frames)
                        counters.embedded += 1
                    }
                case .failure(let error):
                    record.status = .failed
                    record.error = ImagePipeline.reason(error, path: file.path)
                    try writer.upsertMedia(record)
                    failures.append(IndexFailure(path: file.path, reason: record.error ?? "\(error)"))
                    counters.failed += 1
                }
                try writer.updateIndexRun(id: runID, counters: counters, status: .running)
            }
            progress(VideoIndexProgress(path: file.path, videoIndex: videoIndex + 1, videoCount: work.count, position: record.duration ?? 0,
                                        duration: record.duration ?? 0, totalVideoSeconds: videoSeconds, seconds: elapsed()))
        }
        if !interrupted {
            counters.removed = missing.count
        }
        try catalog.write("video run end") { writer in
            if !interrupted { try writer.deleteMedia(ids: missing.compactMap(\.record.id)) }
            try writer.updateIndexRun(id: runID, counters: counters, status: interrupted ? .interrupted : .completed)
        }
        return IndexSummary(runID: runID, counters: counters, failures: failures, unreadableFolders: unreadable,
                            interrupted: interrupted, seconds: elapsed())
    }

    /// Samples, preprocesses and embeds one video's frames in batches of at most `frameBatchSize`;
    /// ffmpeg decodes ahead of the encoder in its own process.
    func embedFrames(path: String, info: VideoInfo, sampler: VideoFrameSampler, shouldStop: () -> Bool,
                     position: (Double) -> Void) throws -> [FrameEmbedding] {
        let batchSize = max(1, min(model.embedder.imageBatchSize, Self.frameBatchSize))
        let preprocessor = model.embedder.preprocessor
        var times: [Double] = []
        var pixels: [[Float]] = []
        var result: [FrameEmbedding] = []
        func flush() throws {
            let vectors = try pipeline.encode(pixels)
            for (time, vector) in zip(times, vectors) {
                // Two samples can share a time (a shot change on the interval grid): keep one.
                if let last = result.last, last.frameTime == time { continue }
                result.append(FrameEmbedding(frameTime: time, vector: vector))
            }
            position(times.last ?? 0)
            times.removeAll(keepingCapacity: true)
            pixels.removeAll(keepingCapacity: true)
        }
        func sample(_ sampler: VideoFrameSampler) throws -> SamplingSummary {
            try sampler.sample(path: path, info: info, shouldStop: shouldStop) { frame in
                times.append(frame.time)
                pixels.append(preprocessor.pixelValues(for: frame.image))
                if pixels.count >= batchSize { try flush() }
            }
        }
        let summary: SamplingSummary
        do {
            summary = try sample(sampler)
        } catch let error as MediaError where sampler.options.decoding == .fast && Self.isShortfall(error) {
            // Skipping B-frames yields nothing on streams made of B-frames: decode everything instead
            // (the frames of the first attempt are dropped with this call's locals).
            var full = sampler
            full.options.decoding = .full
            return try embedFrames(path: path, info: info, sampler: full, shouldStop: shouldStop, position: position)
        }
        if summary.stopped { throw SamplingStopped() }
        if !pixels.isEmpty { try flush() }
        return result
    }
}

extension VideoIndexer {
    /// Frames embed in small batches: the batch still in hand when ffmpeg finishes is work that no
    /// longer overlaps decoding, and 8 frames (400 rows for ViT-B/32) already keep the tile kernels busy.
    static let frameBatchSize = 8

    static func isShortfall(_ error: MediaError) -> Bool {
        switch error {
        case .decodingFailed, .truncated: return true
        default: return false
        }
    }

    /// Content identity of a video without reading gigabytes: SHA-256 over a version tag, the size
    /// and three 1 MiB samples (start, middle, end). Edits to a video change its size or these
    /// samples in practice; copies and renames keep it, which is what the hash is for.
    static func fingerprint(path: String, size: Int64) throws -> String {
        let chunk = 1 << 20
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SearchError.imageFailed(path: path, reason: "cannot open the file for reading")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        hasher.update(Data("clip-search video fingerprint v1 \(size)".utf8))
        let offsets = size <= Int64(3 * chunk) ? [Int64(0)] : [0, size / 2 - Int64(chunk / 2), size - Int64(chunk)]
        for offset in offsets {
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: size <= Int64(3 * chunk) ? Int(size) : chunk) ?? Data()
            hasher.update(data)
        }
        return hasher.hexDigest()
    }
}

/// Internal marker: the user asked to stop while a video was being sampled.
struct SamplingStopped: Error {}
