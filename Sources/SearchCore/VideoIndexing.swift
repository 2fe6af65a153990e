import Catalog
import CLIPModels
import Dispatch
import Foundation
import Media
import ModelStore
import TensorCore

extension Indexer {
    /// The sampler's frame size follows the model's resize target.
    func sampler(_ options: VideoIndexOptions) -> VideoFrameSampler {
        var sampling = options.sampling
        sampling.shortSide = model.embedder.preprocessor.shortestEdge
        return VideoFrameSampler(tools: options.tools, options: sampling)
    }

    /// The video stage: one vector per sampled frame (keyed by its time), and media type, duration,
    /// codec and size on the row. Each video commits in one transaction, so an interrupted run keeps
    /// every finished video; a video whose content another row has is copied, not sampled; a bad video
    /// is recorded as failed with the reason. True when stopped before the end.
    func indexVideos(_ files: [ScannedFile], options: VideoIndexOptions, log: IndexRunLog, shouldStop: @escaping @Sendable () -> Bool,
                     progress: (_ processed: Int, VideoIndexProgress) -> Void) throws -> Bool {
        let sampler = self.sampler(options)
        let probe = VideoProbe(tools: options.tools)
        let started = DispatchTime.now().uptimeNanoseconds
        var videoSeconds = 0.0
        for (videoIndex, file) in files.enumerated() {
            if shouldStop() { return true }
            var record = MediaRecord(path: file.path, size: file.size, modificationTime: file.modificationTime, contentHash: "", mediaType: .video)
            func report(done: Int, position: Double, duration: Double, totalVideoSeconds: Double) {
                progress(done, VideoIndexProgress(path: file.path, videoIndex: done, videoCount: files.count, position: position, duration: duration,
                                                  totalVideoSeconds: totalVideoSeconds,
                                                  seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
            }
            var copySource: Int64?
            let outcome: Result<[FrameEmbedding], Error>
            do {
                record.contentHash = try Self.fingerprint(path: file.path, size: file.size)
                let info = try probe.probe(path: file.path)
                (record.width, record.height) = (info.displayWidth, info.displayHeight)
                record.duration = info.duration
                record.codec = info.codec
                copySource = try catalog.embeddedMediaID(contentHash: record.contentHash, modelID: log.modelID, mediaType: .video)
                if copySource != nil {
                    outcome = .success([])
                } else {
                    let base = videoSeconds
                    outcome = Result {
                        try MatrixPrecision.$productLimit.withValue(options.framePrecisionLimit) {
                            try embedFrames(path: file.path, info: info, sampler: sampler, shouldStop: shouldStop) { position in
                                report(done: videoIndex, position: position, duration: info.duration, totalVideoSeconds: base + position)
                            }
                        }
                    }
                    if case .success = outcome { videoSeconds += info.duration }
                }
            } catch {
                outcome = .failure(error)
            }
            if case .failure(let error) = outcome, error is SamplingStopped { return true }
            try log.commit("video commit") { writer in
                switch (outcome, copySource) {
                case (.success, let source?): try log.copied(record, from: source, in: writer)
                case (.success(let frames), nil): try log.embedded(record, frames, in: writer)
                case (.failure(let error), _): try log.failed(record, reason: failureReason(error, path: file.path), in: writer)
                }
            }
            report(done: videoIndex + 1, position: record.duration ?? 0, duration: record.duration ?? 0, totalVideoSeconds: videoSeconds)
        }
        return false
    }

    /// Samples a video's frames into the image pipeline (ffmpeg decodes ahead in its own process; the
    /// pipeline preprocesses and batches them ahead of the tower) and embeds them in batches of at
    /// most `frameBatchSize`.
    func embedFrames(path: String, info: VideoInfo, sampler: VideoFrameSampler, shouldStop: @escaping @Sendable () -> Bool,
                     position: (Double) -> Void) throws -> [FrameEmbedding] {
        let embedder = model.embedder
        let pipeline = embedder.imagePipeline(batchSize: min(embedder.imageBatchSize, Self.frameBatchSize))
        var result: [FrameEmbedding] = []
        do {
            try pipeline.run(produce: { emit in
                let summary = try sampler.sample(path: path, info: info, shouldStop: shouldStop) { try emit($0) }
                if summary.stopped { throw SamplingStopped() }
            }, input: { (frame: VideoFrame) in .image(.image(frame.image), note: frame.time) }) { prepared in
                let batch = embedder.encode(prepared)
                for (time, vector) in zip(batch.notes, batch.vectors) {
                    switch vector {
                    case .value(let vector):
                        // Two samples can share a time (a shot change on the interval grid): keep one.
                        if let last = result.last, last.frameTime == time { continue }
                        result.append(FrameEmbedding(frameTime: time, vector: vector))
                    case .failed(let error): throw error
                    case .skipped: continue
                    }
                }
                position(batch.notes.last ?? 0)
                return true
            }
        } catch let error as MediaError where sampler.options.decoding == .fast && Self.isShortfall(error) {
            // Skipping B-frames yields nothing on streams made of B-frames: decode everything instead
            // (the frames of the first attempt are dropped).
            var full = sampler
            full.options.decoding = .full
            return try embedFrames(path: path, info: info, sampler: full, shouldStop: shouldStop, position: position)
        }
        return result
    }
}

extension Indexer {
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
