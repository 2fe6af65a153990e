import Foundation
import GRDB

/// Writes inside one `Catalog.write` transaction. Only valid inside that closure.
public struct CatalogWriter {
    let db: Database
    let catalogPath: String

    /// Records a model (idempotent); a known id with another dimension is an error.
    public func registerModel(id: String, name: String, dimension: Int) throws {
        if let known = try Int.fetchOne(db, sql: "SELECT dimension FROM models WHERE id = ?", arguments: [id]) {
            guard known == dimension else {
                throw CatalogError.dimensionMismatch(path: catalogPath, model: id, expected: known, found: dimension)
            }
            return
        }
        try db.execute(sql: "INSERT INTO models (id, name, dimension, added_at) VALUES (?, ?, ?, ?)",
                       arguments: [id, name, dimension, Date().timeIntervalSince1970])
    }

    /// Inserts or updates the row for `record.path` and returns its id. When the content hash
    /// changed, the old vectors (of every model) are deleted: they describe other pixels.
    @discardableResult
    public func upsertMedia(_ record: MediaRecord) throws -> Int64 {
        if let existing = try Row.fetchOne(db, sql: "SELECT id, content_hash FROM media WHERE path = ?", arguments: [record.path]) {
            let id: Int64 = existing[0]
            if (existing[1] as String) != record.contentHash {
                try db.execute(sql: "DELETE FROM embeddings WHERE media_id = ?", arguments: [id])
            }
            try db.execute(sql: """
                UPDATE media SET size = ?, mtime = ?, content_hash = ?, media_type = ?, width = ?, height = ?,
                duration = ?, codec = ?, indexed_at = ?, status = ?, error = ? WHERE id = ?
                """, arguments: values(record) + [id])
            return id
        }
        try db.execute(sql: """
            INSERT INTO media (size, mtime, content_hash, media_type, width, height, duration, codec, indexed_at, status, error, path)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: values(record) + [record.path])
        return db.lastInsertedRowID
    }

    private func values(_ record: MediaRecord) -> StatementArguments {
        [record.size, record.modificationTime, record.contentHash, record.mediaType.rawValue, record.width, record.height,
         record.duration, record.codec, record.indexedAt, record.status.rawValue, record.error]
    }

    /// Replaces the vectors of one media item for one model.
    public func replaceEmbeddings(mediaID: Int64, modelID: String, _ frames: [FrameEmbedding]) throws {
        let dimension = try Int.fetchOne(db, sql: "SELECT dimension FROM models WHERE id = ?", arguments: [modelID])
        try db.execute(sql: "DELETE FROM embeddings WHERE media_id = ? AND model_id = ?", arguments: [mediaID, modelID])
        let statement = try db.cachedStatement(sql: "INSERT INTO embeddings (media_id, model_id, frame_time, vector) VALUES (?, ?, ?, ?)")
        for frame in frames {
            if let dimension, frame.vector.count != dimension {
                throw CatalogError.dimensionMismatch(path: catalogPath, model: modelID, expected: dimension, found: frame.vector.count)
            }
            try statement.execute(arguments: [mediaID, modelID, frame.frameTime, VectorCoding.data(frame.vector)])
        }
    }

    /// Gives `toMediaID` the vectors `fromMediaID` has for `modelID` (identical content elsewhere).
    public func copyEmbeddings(fromMediaID: Int64, toMediaID: Int64, modelID: String) throws {
        // Onto itself it would delete the vectors it is about to copy.
        guard fromMediaID != toMediaID else { return }
        try db.execute(sql: "DELETE FROM embeddings WHERE media_id = ? AND model_id = ?", arguments: [toMediaID, modelID])
        try db.execute(sql: """
            INSERT INTO embeddings (media_id, model_id, frame_time, vector)
            SELECT ?, model_id, frame_time, vector FROM embeddings WHERE media_id = ? AND model_id = ?
            """, arguments: [toMediaID, fromMediaID, modelID])
    }

    /// A row of `mediaType` whose content is `contentHash` and that has vectors of `modelID` (what a
    /// copy of that content takes its vectors from), as this transaction sees it.
    public func embeddedMediaID(contentHash: String, modelID: String, mediaType: MediaType) throws -> Int64? {
        try Self.embeddedMediaID(db, contentHash: contentHash, modelID: modelID, mediaType: mediaType)
    }

    static func embeddedMediaID(_ db: Database, contentHash: String, modelID: String, mediaType: MediaType) throws -> Int64? {
        try Int64.fetchOne(db, sql: """
            SELECT m.id FROM media m
            WHERE m.content_hash = ? AND m.media_type = ? AND m.status = 'ok'
            AND EXISTS(SELECT 1 FROM embeddings e WHERE e.media_id = m.id AND e.model_id = ?)
            ORDER BY m.id LIMIT 1
            """, arguments: [contentHash, mediaType.rawValue, modelID])
    }

    /// Points an existing row (and so all its vectors) at a new path: a moved or renamed file.
    public func moveMedia(id: Int64, to record: MediaRecord) throws {
        // A stale row may still hold the destination path (a file replaced by the moved one).
        try db.execute(sql: "DELETE FROM media WHERE path = ? AND id != ?", arguments: [record.path, id])
        try db.execute(sql: """
            UPDATE media SET size = ?, mtime = ?, content_hash = ?, media_type = ?, width = ?, height = ?,
            duration = ?, codec = ?, indexed_at = ?, status = ?, error = ?, path = ? WHERE id = ?
            """, arguments: values(record) + [record.path, id])
    }

    /// Deletes media rows and (by cascade) their vectors.
    public func deleteMedia(ids: [Int64]) throws {
        let statement = try db.cachedStatement(sql: "DELETE FROM media WHERE id = ?")
        for id in ids { try statement.execute(arguments: [id]) }
    }

    /// Marks runs still recorded as running as interrupted: their process was killed (only a run
    /// holding the index lock may call this, so none of them is still going). Their end time stays
    /// unknown. Returns how many there were.
    @discardableResult
    public func markAbandonedRunsInterrupted() throws -> Int {
        try db.execute(sql: "UPDATE index_runs SET status = ? WHERE status = ?",
                       arguments: [IndexRunStatus.interrupted.rawValue, IndexRunStatus.running.rawValue])
        return db.changesCount
    }

    public func beginIndexRun(modelID: String, roots: [String]) throws -> Int64 {
        let rootsJSON = String(decoding: (try? JSONEncoder().encode(roots)) ?? Data("[]".utf8), as: UTF8.self)
        try db.execute(sql: "INSERT INTO index_runs (model_id, roots, started_at) VALUES (?, ?, ?)",
                       arguments: [modelID, rootsJSON, Date().timeIntervalSince1970])
        return db.lastInsertedRowID
    }

    /// Stores a run's counters; committed with each batch so a killed run still shows its progress.
    public func updateIndexRun(id: Int64, counters: IndexRunCounters, status: IndexRunStatus) throws {
        let finished: Double? = status == .running ? nil : Date().timeIntervalSince1970
        try db.execute(sql: """
            UPDATE index_runs SET scanned = ?, embedded = ?, unchanged = ?, moved = ?, copied = ?, removed = ?, failed = ?,
            status = ?, finished_at = ? WHERE id = ?
            """, arguments: [counters.scanned, counters.embedded, counters.unchanged, counters.moved, counters.copied,
                             counters.removed, counters.failed, status.rawValue, finished, id])
    }
}
