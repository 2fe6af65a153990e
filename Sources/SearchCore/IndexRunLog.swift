import Catalog
import Foundation

/// One index run as the catalog records it: the run row, its counters and failures, and the writes
/// the photo and video stages share. Every commit stores the counters with its batch, so a killed
/// run still shows how far it got (and the next run marks it interrupted).
final class IndexRunLog {
    let catalog: Catalog
    let modelID: String
    let runID: Int64
    private(set) var counters: IndexRunCounters
    private(set) var failures: [IndexFailure] = []
    /// Rows of vanished files that a moved file took over: they stay at the end of the run.
    private(set) var claimedMoves = Set<Int64>()

    private init(catalog: Catalog, modelID: String, runID: Int64, counters: IndexRunCounters) {
        self.catalog = catalog
        self.modelID = modelID
        self.runID = runID
        self.counters = counters
    }

    /// Registers the model, closes the records of runs that were killed, and opens this run's row.
    static func begin(catalog: Catalog, model: SearchModel, roots: [String], counters: IndexRunCounters) throws -> IndexRunLog {
        let runID = try catalog.write("run start") { writer in
            try writer.registerModel(id: model.identifier, name: model.name, dimension: model.embedder.dimension)
            try writer.markAbandonedRunsInterrupted()
            let runID = try writer.beginIndexRun(modelID: model.identifier, roots: roots)
            try writer.updateIndexRun(id: runID, counters: counters, status: .running)
            return runID
        }
        return IndexRunLog(catalog: catalog, modelID: model.identifier, runID: runID, counters: counters)
    }

    /// `body` and the run's counters in one transaction.
    func commit(_ operation: String, _ body: (CatalogWriter) throws -> Void) throws {
        try catalog.write(operation) { writer in
            try body(writer)
            try writer.updateIndexRun(id: runID, counters: counters, status: .running)
        }
    }

    // MARK: - Writes inside `commit`

    func embedded(_ record: MediaRecord, _ frames: [FrameEmbedding], in writer: CatalogWriter) throws {
        let id = try writer.upsertMedia(record)
        try writer.replaceEmbeddings(mediaID: id, modelID: modelID, frames)
        counters.embedded += 1
    }

    /// Identical content elsewhere already has vectors: they are copied.
    func copied(_ record: MediaRecord, from source: Int64, in writer: CatalogWriter) throws {
        let id = try writer.upsertMedia(record)
        try writer.copyEmbeddings(fromMediaID: source, toMediaID: id, modelID: modelID)
        counters.copied += 1
    }

    /// A vanished file's row (and its vectors) now points at `record`'s path.
    func moved(_ record: MediaRecord, row: Int64, in writer: CatalogWriter) throws {
        try writer.moveMedia(id: row, to: record)
        claimedMoves.insert(row)
        counters.moved += 1
    }

    /// Touched but identical: the row keeps its vectors and takes the new modification time.
    func unchanged(_ record: MediaRecord, in writer: CatalogWriter) throws {
        try writer.upsertMedia(record)
        counters.unchanged += 1
    }

    /// Recorded as failed, so an unchanged bad file is not read again.
    func failed(_ record: MediaRecord, reason: String, in writer: CatalogWriter) throws {
        var record = record
        record.status = .failed
        record.error = reason
        try writer.upsertMedia(record)
        failures.append(IndexFailure(path: record.path, reason: reason))
        counters.failed += 1
    }

    // MARK: - Ends

    /// The remove stage and the end of a complete run: rows whose file vanished (and that no moved
    /// file took over) go, in the transaction that marks the run completed.
    func removeMissing(_ rows: [MediaState]) throws {
        let gone = rows.compactMap(\.record.id).filter { !claimedMoves.contains($0) }
        counters.removed = gone.count
        try catalog.write("removal of deleted files") { writer in
            try writer.deleteMedia(ids: gone)
            try writer.updateIndexRun(id: runID, counters: counters, status: .completed)
        }
    }

    func finishInterrupted() throws {
        try catalog.write("run end") { try $0.updateIndexRun(id: runID, counters: counters, status: .interrupted) }
    }
}
