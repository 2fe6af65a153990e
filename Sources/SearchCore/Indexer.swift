import Catalog
import Dispatch
import Foundation
import TensorCore

public struct IndexOptions: Sendable {
    public var roots: [String]
    public var includeHidden = false
    /// Files per transaction and per forward pass.
    public var batchSize = 32
    /// Test hook: sleep after each committed batch so a test can kill the process mid-run.
    public var pauseAfterBatch: Double = 0

    public init(roots: [String]) {
        self.roots = roots
    }
}

public struct IndexFailure: Sendable, Equatable {
    public var path: String
    public var reason: String
}

public struct IndexSummary: Sendable {
    public var runID: Int64
    public var counters: IndexRunCounters
    public var failures: [IndexFailure]
    /// Folders that could not be listed (their files are neither indexed nor removed).
    public var unreadableFolders: [String]
    public var interrupted: Bool
    public var seconds: Double
}

/// Reported after the scan and after every committed batch.
public struct IndexProgress: Sendable {
    public var processed: Int
    public var total: Int
    public var seconds: Double
}

/// Brings the catalog in line with folders on disk for one model.
///
/// Unchanged files (same size and modification time, vector present) are skipped without being read;
/// others are read once, hashed and, unless identical bytes already have a vector (a move, rename
/// or copy), decoded and embedded. Decoding of the next batch overlaps encoding of the current one.
/// Each batch commits in one transaction with the run's counters, so an interrupted run loses at
/// most the batch in flight and the next run resumes where it stopped. Rows of files that vanished
/// are removed only at the end of a complete run, so moves spread over batches are still found.
public final class Indexer: Sendable {
    public let catalog: Catalog
    public let model: SearchModel
    public let pipeline: ImagePipeline

    public init(catalog: Catalog, model: SearchModel, pipeline: ImagePipeline? = nil) {
        self.catalog = catalog
        self.model = model
        self.pipeline = pipeline ?? ImagePipeline(embedder: model.embedder)
    }

    public func run(_ options: IndexOptions, shouldStop: @Sendable () -> Bool = { false },
                    progress: (IndexProgress) -> Void = { _ in }) throws -> IndexSummary {
        guard options.batchSize >= 1 else { throw SearchError.invalidOption(name: "batch size", reason: "\(options.batchSize) must be at least 1") }
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        let modelID = model.identifier
        let roots = options.roots.map(MediaScanner.absolutePath)
        let scanner = MediaScanner(includeHidden: options.includeHidden)

        var scanned: [String: ScannedFile] = [:]
        var unreadable: [String] = []
        var known: [String: MediaState] = [:]
        for root in roots {
            let result = try scanner.scan(root: root)
            for file in result.files where file.mediaType == .photo { scanned[file.path] = file }
            unreadable += result.unreadableFolders
            // Video rows belong to VideoIndexer (VideoIndexing.swift); this run must not remove them.
            for state in try catalog.mediaStates(under: root, modelID: modelID) where state.record.mediaType == .photo { known[state.record.path] = state }
        }
        let runID = try catalog.write("run start") { writer in
            try writer.registerModel(id: modelID, name: model.name, dimension: model.embedder.dimension)
            return try writer.beginIndexRun(modelID: modelID, roots: roots)
        }

        var counters = IndexRunCounters()
        counters.scanned = scanned.count
        let work = filesNeedingWork(scanned, known: known, counters: &counters)
        // Photo rows whose file is gone, except under folders we could not list: candidates for moves.
        // Video rows belong to the video indexer.
        var missing = known.values.filter { state in
            state.record.mediaType == .photo && scanned[state.record.path] == nil
                && !unreadable.contains { state.record.path.hasPrefix($0 + "/") }
        }.sorted { $0.record.path < $1.record.path }
        var movable: [String: [Int64]] = [:]
        for state in missing where state.hasEmbedding && state.record.status == .ok {
            movable[state.record.contentHash, default: []].append(state.record.id ?? -1)
        }
        let knownHashes = try catalog.embeddedContentHashes(modelID: modelID)

        var failures: [IndexFailure] = []
        var claimed = Set<Int64>()
        var processed = 0
        progress(IndexProgress(processed: 0, total: work.count, seconds: elapsed()))

        let batches = stride(from: 0, to: work.count, by: options.batchSize).map { Array(work[$0..<min(work.count, $0 + options.batchSize)]) }
        let pipeline = self.pipeline
        let group = DispatchGroup()
        let next = UnsafeMutablePointer<[PreparedImage]>.allocate(capacity: 1)
        next.initialize(to: [])
        defer { next.deinitialize(count: 1); next.deallocate() }
        var current = batches.first.map { pipeline.prepare(paths: $0.map(\.path), knownHashes: knownHashes) } ?? []
        var interrupted = false

        for (batchIndex, batch) in batches.enumerated() {
            let hasNext = batchIndex + 1 < batches.count && !shouldStop()
            if hasNext {
                // The loop waits on the group before reading `next`, so this is race-free.
                let job = UncheckedSendable(value: { next.pointee = pipeline.prepare(paths: batches[batchIndex + 1].map(\.path), knownHashes: knownHashes) })
                DispatchQueue.global().async(group: group) { job.value() }
            }
            let pixels = current.compactMap { item -> [Float]? in if case .pixels(let values) = item.outcome { return values } else { return nil } }
            let encoded: Result<[[Float]], Error> = Result { try pipeline.encode(pixels) }
            var vectorIndex = 0
            try catalog.write("batch commit") { writer in
                for (file, item) in zip(batch, current) {
                    var record = MediaRecord(path: file.path, size: file.size, modificationTime: file.modificationTime,
                                             contentHash: item.contentHash, width: item.width, height: item.height)
                    switch item.outcome {
                    case .failed(let reason):
                        record.status = .failed
                        record.error = reason
                        try writer.upsertMedia(record)
                        failures.append(IndexFailure(path: file.path, reason: reason))
                        counters.failed += 1
                    case .known(let sourceID):
                        if var candidates = movable[item.contentHash], let movedID = candidates.popLast() {
                            movable[item.contentHash] = candidates
                            claimed.insert(movedID)
                            if let old = missing.first(where: { $0.record.id == movedID })?.record {
                                (record.width, record.height) = (old.width, old.height)
                            }
                            try writer.moveMedia(id: movedID, to: record)
                            counters.moved += 1
                        } else {
                            if let state = known[file.path], state.hasEmbedding, state.record.contentHash == item.contentHash {
                                let existing = state.record
                                // Touched but identical: the row and its vector stay.
                                (record.width, record.height) = (existing.width, existing.height)
                                try writer.upsertMedia(record)
                                counters.unchanged += 1
                            } else {
                                let id = try writer.upsertMedia(record)
                                try writer.copyEmbeddings(fromMediaID: sourceID, toMediaID: id, modelID: modelID)
                                counters.copied += 1
                            }
                        }
                    case .pixels:
                        switch encoded {
                        case .success(let vectors):
                            let id = try writer.upsertMedia(record)
                            try writer.replaceEmbeddings(mediaID: id, modelID: modelID, [FrameEmbedding(vector: vectors[vectorIndex])])
                            vectorIndex += 1
                            counters.embedded += 1
                        case .failure(let error):
                            record.status = .failed
                            record.error = "encoding failed: \(error)"
                            try writer.upsertMedia(record)
                            failures.append(IndexFailure(path: file.path, reason: record.error ?? ""))
                            counters.failed += 1
                        }
                    }
                }
                try writer.updateIndexRun(id: runID, counters: counters, status: .running)
            }
            processed += batch.count
            progress(IndexProgress(processed: processed, total: work.count, seconds: elapsed()))
            if options.pauseAfterBatch > 0 { Thread.sleep(forTimeInterval: options.pauseAfterBatch) }
            if hasNext {
                group.wait()
                current = next.pointee
            }
            if shouldStop() && batchIndex + 1 < batches.count {
                interrupted = true
                break
            }
        }
        if interrupted || shouldStop() && processed < work.count {
            try catalog.write("run end") { try $0.updateIndexRun(id: runID, counters: counters, status: .interrupted) }
            return IndexSummary(runID: runID, counters: counters, failures: failures, unreadableFolders: unreadable,
                                interrupted: true, seconds: elapsed())
        }
        missing.removeAll { $0.record.id.map(claimed.contains) ?? true }
        counters.removed = missing.count
        try catalog.write("removal of deleted files") { writer in
            try writer.deleteMedia(ids: missing.compactMap(\.record.id))
            try writer.updateIndexRun(id: runID, counters: counters, status: .completed)
        }
        return IndexSummary(runID: runID, counters: counters, failures: failures, unreadableFolders: unreadable,
                            interrupted: false, seconds: elapsed())
    }
}

/// Scanned files in path order, except those whose size and modification time match a catalog row
/// that has a vector (or failed before): those are counted as unchanged and never read.
func filesNeedingWork(_ scanned: [String: ScannedFile], known: [String: MediaState], counters: inout IndexRunCounters) -> [ScannedFile] {
    var work: [ScannedFile] = []
    for file in scanned.values.sorted(by: { $0.path < $1.path }) {
        if let state = known[file.path], state.record.size == file.size, state.record.modificationTime == file.modificationTime,
           state.hasEmbedding || state.record.status == .failed {
            counters.unchanged += 1
        } else {
            work.append(file)
        }
    }
    return work
}
