import Catalog
import CLIPModels
import Foundation
import ImageCodecs
import ModelStore

/// What the photo stage's first step, on the pipeline's prefetching thread, learnt about one file.
struct PhotoNote: Sendable {
    var file: ScannedFile
    /// Lower-case hex SHA-256 of the bytes ("" when the file could not be read).
    var contentHash = ""
    /// Stored pixel size (before any DCT scaling), for the catalog row.
    var width: Int?
    var height: Int?
}

/// Rows of vanished photos that have a vector, by content hash: a file with the same bytes is that
/// file moved or renamed, and takes the row over.
struct MoveCandidates {
    private var rows: [String: [MediaRecord]] = [:]

    init(_ missing: [MediaState]) {
        for state in missing where state.record.mediaType == .photo && state.hasEmbedding && state.record.status == .ok {
            rows[state.record.contentHash, default: []].append(state.record)
        }
    }

    mutating func claim(contentHash: String) -> MediaRecord? {
        rows[contentHash]?.popLast()
    }
}

extension Indexer {
    /// The photo stage: files needing work go through the image pipeline in batches (read and hashed,
    /// then decoded and preprocessed unless identical bytes already have a vector) ahead of the
    /// image tower; each batch commits in one transaction. True when stopped before the end.
    func indexPhotos(_ plan: IndexPlan, options: IndexOptions, log: IndexRunLog, shouldStop: @escaping @Sendable () -> Bool,
                     progress: (_ processed: Int) -> Void) throws -> Bool {
        var moves = MoveCandidates(plan.missing)
        var processed = 0
        var deferred: [ScannedFile] = []
        let knownHashes = try catalog.embeddedContentHashes(modelID: model.identifier)
        try embedPhotos(plan.photos, options: options, knownHashes: knownHashes) { batch in
            try log.commit("batch commit") { writer in
                for (note, vector) in zip(batch.notes, batch.vectors) {
                    if try !commitPhoto(note, vector, known: plan.known, moves: &moves, log: log, writer: writer) { deferred.append(note.file) }
                }
            }
            processed += batch.notes.count
            progress(processed)
            if options.pauseAfterBatch > 0 { Thread.sleep(forTimeInterval: options.pauseAfterBatch) }
            return !shouldStop()
        }
        guard processed == plan.photos.count else { return true }
        // Copies whose source row a move deleted during this run (it held the path a moved file now
        // has): no other row has their content any more, so they are decoded and embedded after all.
        try embedPhotos(deferred, options: options, knownHashes: [:]) { batch in
            try log.commit("batch commit") { writer in
                for (note, vector) in zip(batch.notes, batch.vectors) {
                    _ = try commitPhoto(note, vector, known: plan.known, moves: &moves, log: log, writer: writer)
                }
            }
            return true
        }
        return false
    }

    private func embedPhotos(_ files: [ScannedFile], options: IndexOptions, knownHashes: [String: Int64],
                             _ body: (EmbeddedImageBatch<PhotoNote>) throws -> Bool) throws {
        guard !files.isEmpty else { return }
        let embedder = model.embedder, limits = options.photoDecoding.limits
        let pipeline = embedder.imagePipeline(decoding: options.photoDecoding, batchSize: options.batchSize)
        try pipeline.run(files, input: { Self.photoInput($0, knownHashes: knownHashes, limits: limits) }) { prepared in
            try body(embedder.encode(prepared))
        }
    }

    /// The pipeline's first step for a photo: read once, hash, and hand the bytes on to be decoded
    /// unless a vector of that content exists (then nothing is decoded).
    static func photoInput(_ file: ScannedFile, knownHashes: [String: Int64], limits: DecodeLimits) -> ImageInput<PhotoNote> {
        var note = PhotoNote(file: file)
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file.path), options: [.mappedIfSafe]) } catch {
            return .failed(SearchError.imageFailed(path: file.path, reason: "cannot read file: \(error.localizedDescription)"), note: note)
        }
        note.contentHash = SHA256.hexDigest(of: data)
        if knownHashes[note.contentHash] != nil { return .skip(note: note) }
        if let info = try? ImageDecoder.readInfo(data: data, name: file.path, limits: limits) {
            (note.width, note.height) = (info.width, info.height)
        }
        return .image(.data(data, name: file.path), note: note)
    }

    /// The commit stage for one photo. False when it was left for later: it is a copy whose content
    /// no row holds any more.
    func commitPhoto(_ note: PhotoNote, _ vector: ImageResult<[Float]>, known: [String: MediaState], moves: inout MoveCandidates,
                     log: IndexRunLog, writer: CatalogWriter) throws -> Bool {
        let file = note.file
        var record = MediaRecord(path: file.path, size: file.size, modificationTime: file.modificationTime, contentHash: note.contentHash)
        switch vector {
        case .failed(let error):
            try log.failed(record, reason: failureReason(error, path: file.path), in: writer)
        case .value(let vector):
            (record.width, record.height) = (note.width, note.height)
            try log.embedded(record, [FrameEmbedding(vector: vector)], in: writer)
        case .skipped:
            // Identical bytes have a vector. A file whose own row already holds them was only touched;
            // it is checked first so that it never claims a vanished duplicate's row, which a moved
            // file later in the run needs.
            if let state = known[file.path], state.hasEmbedding, state.record.contentHash == note.contentHash {
                (record.width, record.height) = (state.record.width, state.record.height)
                try log.unchanged(record, in: writer)
            } else if let vanished = moves.claim(contentHash: note.contentHash), let row = vanished.id {
                (record.width, record.height) = (vanished.width, vanished.height)
                try log.moved(record, row: row, in: writer)
            } else if let source = try writer.embeddedMediaID(contentHash: note.contentHash, modelID: log.modelID, mediaType: .photo) {
                try log.copied(record, from: source, in: writer)
            } else {
                return false
            }
        }
        return true
    }
}
