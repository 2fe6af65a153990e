import Foundation
import GRDB

/// The embedded SQLite catalog of media files and their embeddings.
///
/// Opened as a WAL-mode pool: any number of readers (a search, a web server) see the last committed
/// state while one writer (an index run) commits batches. Every batch is one transaction, so a
/// process killed at any moment leaves the catalog at the previous commit.
public final class Catalog: Sendable {
    public let path: String
    /// Schema versions that this open applied (empty when the file was already current).
    public let appliedMigrations: [String]
    /// Opened without write access (a catalog on read-only media, or a file this user may not write):
    /// searches work, writes fail with a one-line error.
    public let isReadOnly: Bool
    /// The writable pool; nil when read-only.
    let pool: DatabasePool?
    /// Every read goes here: the pool, or the read-only connection.
    let reader: any DatabaseReader

    /// `$XDG_DATA_HOME/clip-search/catalog.sqlite`, or `~/.local/share/clip-search/catalog.sqlite`.
    public static func defaultLocation(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base: URL
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            base = URL(fileURLWithPath: data)
        } else {
            let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
            base = URL(fileURLWithPath: home).appendingPathComponent(".local/share")
        }
        return base.appendingPathComponent("clip-search/catalog.sqlite")
    }

    /// Opens (and migrates to the latest schema) the catalog at `path`. With `createIfMissing` false a
    /// missing file is an error instead of an empty catalog, which is what a search wants.
    public init(path: String, createIfMissing: Bool = true) throws {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber
        if exists, !createIfMissing, size?.int64Value == 0 {
            // SQLite would take an empty file for a new database: a search would quietly write a schema into it.
            throw CatalogError.cannotOpen(path: path, reason: "the file is empty, not a catalog; run `clip-search index <folder>` first or pass --db")
        }
        if !exists {
            guard createIfMissing else {
                throw CatalogError.cannotOpen(path: path, reason: "no catalog here; run `clip-search index <folder>` first or pass --db")
            }
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw CatalogError.cannotOpen(path: path, reason: "cannot create folder \(folder.path): \(error.localizedDescription)")
            }
        }
        var configuration = Configuration()
        // A writer holding the lock for one batch must not make readers or a second writer fail.
        configuration.busyMode = .timeout(30)
        // A reader that may not write the file or its folder opens it read-only. Where SQLite cannot
        // create the WAL index (-shm) next to it, e.g. on read-only media, the file is opened as immutable,
        // which is what such media are.
        let folderPath = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let writable = access(path, W_OK) == 0 && access(folderPath, W_OK) == 0
        if exists, createIfMissing, !writable {
            throw CatalogError.cannotOpen(
                path: path, reason: "no write access to the file or its folder (SQLite keeps its -wal and -shm files there); writing the catalog needs both")
        }
        isReadOnly = exists && !createIfMissing && !writable
        if isReadOnly {
            configuration.readonly = true
            let reader = try Self.openReadOnly(path: path, configuration: configuration)
            self.reader = reader
            self.pool = nil
            appliedMigrations = []
            try Self.checkSchemaWithoutMigrating(reader, path: path)
            return
        }
        configuration.prepareDatabase { db in
            // NORMAL is durable against process crashes in WAL mode (only power loss may drop the
            // last commits), and much faster than FULL for many small transactions.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw CatalogError.cannotOpen(path: path, reason: "\(error)")
        }
        self.pool = pool
        self.reader = pool
        let migrator = CatalogSchema.migrator
        do {
            let (before, superseded) = try pool.read { db in
                (try migrator.appliedIdentifiers(db), try migrator.hasBeenSuperseded(db))
            }
            if superseded {
                let known = Set(migrator.migrations)
                throw CatalogError.newerSchema(path: path, unknownMigrations: before.subtracting(known).sorted())
            }
            if try pool.read({ try migrator.hasCompletedMigrations($0) }) {
                appliedMigrations = []
            } else {
                appliedMigrations = try Self.withFileLock(path + "-migration.lock") {
                    // GRDB reads the applied versions outside its per-migration transactions, so two
                    // processes opening a new catalog at once could both run a migration: serialise.
                    let applied = try pool.read { try migrator.appliedIdentifiers($0) }
                    try migrator.migrate(pool)
                    return migrator.migrations.filter { !applied.contains($0) }
                }
            }
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError.database(path: path, operation: "migration", reason: "\(error)")
        }
    }

    static func openReadOnly(path: String, configuration: Configuration) throws -> DatabaseQueue {
        func usable(_ queue: DatabaseQueue) throws -> DatabaseQueue {
            _ = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
            return queue
        }
        do {
            return try usable(try DatabaseQueue(path: path, configuration: configuration))
        } catch {
            let escaped = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
            do {
                return try usable(try DatabaseQueue(path: "file:\(escaped)?immutable=1", configuration: configuration))
            } catch {
                throw CatalogError.cannotOpen(path: path, reason: "no write access, and SQLite cannot read it read-only: \(error)")
            }
        }
    }

    /// A read-only catalog cannot be migrated: it must already be at this version's schema.
    static func checkSchemaWithoutMigrating(_ reader: DatabaseQueue, path: String) throws {
        let migrator = CatalogSchema.migrator
        do {
            let (applied, superseded, complete) = try reader.read { db in
                (try migrator.appliedIdentifiers(db), try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db))
            }
            if superseded {
                throw CatalogError.newerSchema(path: path, unknownMigrations: applied.subtracting(Set(migrator.migrations)).sorted())
            }
            guard complete else {
                throw CatalogError.cannotOpen(path: path, reason: "read-only, and written by an older clip-search; open it once with write access to upgrade it")
            }
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError.cannotOpen(path: path, reason: "no write access, and SQLite cannot read it read-only: \(error)")
        }
    }

    /// Runs `body` holding an exclusive flock(2) on `lockPath` (created if needed), across processes.
    static func withFileLock<T>(_ lockPath: String, _ body: () throws -> T) throws -> T {
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CatalogError.cannotOpen(path: lockPath, reason: "cannot create the migration lock: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw CatalogError.cannotOpen(path: lockPath, reason: "cannot lock: \(String(cString: strerror(errno)))")
            }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// Schema versions recorded in the file, oldest first.
    public func schemaVersions() throws -> [String] {
        try read("schema query") { db in try CatalogSchema.migrator.appliedMigrations(db) }
    }

    // MARK: - Transactions

    /// Runs `body` in one write transaction: all of it is committed, or none of it.
    public func write<T>(_ operation: String = "write", _ body: (CatalogWriter) throws -> T) throws -> T {
        do {
            guard let pool else {
                throw CatalogError.cannotOpen(path: path, reason: "opened read-only (no write access to the file or its folder); \(operation) needs write access")
            }
            return try pool.write { db in try body(CatalogWriter(db: db, catalogPath: path)) }
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError.database(path: path, operation: operation, reason: "\(error)")
        }
    }

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try reader.read(body)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError.database(path: path, operation: operation, reason: "\(error)")
        }
    }

    // MARK: - Reads

    /// Media rows whose path is `root` or lies under it (every row when `root` is nil), with whether
    /// each has a vector for `modelID`.
    public func mediaStates(under root: String?, modelID: String) throws -> [MediaState] {
        try read("media query") { db in
            var sql = """
                SELECT m.*, EXISTS(SELECT 1 FROM embeddings e WHERE e.media_id = m.id AND e.model_id = ?) AS has_embedding
                FROM media m
                """
            var arguments: StatementArguments = [modelID]
            if let root {
                let folder = root.hasSuffix("/") ? root : root + "/"
                // substr avoids LIKE's wildcard and case rules on paths holding % or _.
                sql += " WHERE m.path = ? OR substr(m.path, 1, ?) = ?"
                arguments += [root, folder.utf8.count, folder]
            }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                MediaState(record: Self.record(row), hasEmbedding: row["has_embedding"] as Bool)
            }
        }
    }

    public func media(path: String) throws -> MediaRecord? {
        try read("media query") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM media WHERE path = ?", arguments: [path]).map(Self.record)
        }
    }

    public func media(id: Int64) throws -> MediaRecord? {
        try read("media query") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM media WHERE id = ?", arguments: [id]).map(Self.record)
        }
    }

    /// Content hash → id of a media row that has a vector for `modelID` (for move and copy detection).
    public func embeddedContentHashes(modelID: String) throws -> [String: Int64] {
        try read("hash query") { db in
            var result: [String: Int64] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT m.content_hash, m.id FROM media m
                WHERE m.status = 'ok' AND EXISTS(SELECT 1 FROM embeddings e WHERE e.media_id = m.id AND e.model_id = ?)
                """, arguments: [modelID])
            while let row = try rows.next() { result[row[0]] = row[1] }
            return result
        }
    }

    /// `CatalogWriter.embeddedMediaID` outside a transaction: the last committed state.
    public func embeddedMediaID(contentHash: String, modelID: String, mediaType: MediaType) throws -> Int64? {
        try read("hash query") { db in
            try CatalogWriter.embeddedMediaID(db, contentHash: contentHash, modelID: modelID, mediaType: mediaType)
        }
    }

    public func model(id: String) throws -> ModelRecord? {
        try models().first { $0.id == id }
    }

    public func models() throws -> [ModelRecord] {
        try read("model query") { db in
            try Row.fetchAll(db, sql: """
                SELECT m.id, m.name, m.dimension, (SELECT COUNT(*) FROM embeddings e WHERE e.model_id = m.id) AS count
                FROM models m ORDER BY m.added_at
                """).map { ModelRecord(id: $0[0], name: $0[1], dimension: $0[2], embeddingCount: $0[3]) }
        }
    }

    /// Every vector of `modelID` (optionally of one media type), in one contiguous buffer.
    public func loadEmbeddings(modelID: String, mediaType: MediaType? = nil) throws -> EmbeddingTable {
        guard let model = try model(id: modelID) else {
            return EmbeddingTable(modelID: modelID, dimension: 0, entries: [], vectors: [])
        }
        let dimension = model.dimension
        return try read("embedding load") { db in
            var sql = """
                SELECT e.media_id, e.frame_time, e.vector, m.path, m.media_type FROM embeddings e
                JOIN media m ON m.id = e.media_id WHERE e.model_id = ?
                """
            var arguments: StatementArguments = [modelID]
            if let mediaType {
                sql += " AND m.media_type = ?"
                arguments += [mediaType.rawValue]
            }
            sql += " ORDER BY e.media_id, e.frame_time"
            var table = EmbeddingTable(modelID: modelID, dimension: dimension, entries: [], vectors: [])
            table.entries.reserveCapacity(model.embeddingCount)
            table.vectors.reserveCapacity(model.embeddingCount * dimension)
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next() {
                let mediaID: Int64 = row[0]
                let blob: Data = row[2]
                guard blob.count == dimension * MemoryLayout<Float>.size else {
                    throw CatalogError.corruptVector(path: path, mediaID: mediaID, expectedBytes: dimension * 4, foundBytes: blob.count)
                }
                VectorCoding.append(blob, to: &table.vectors)
                table.entries.append(EmbeddingTable.Entry(
                    mediaID: mediaID, frameTime: row[1], path: row[3],
                    mediaType: MediaType(rawValue: row[4]) ?? .photo))
            }
            return table
        }
    }

    /// Vectors of one media item for `modelID` (one for a photo, one per sampled frame for a video).
    public func embeddings(mediaID: Int64, modelID: String) throws -> [FrameEmbedding] {
        try read("embedding query") { db in
            try Row.fetchAll(db, sql: "SELECT frame_time, vector FROM embeddings WHERE media_id = ? AND model_id = ? ORDER BY frame_time",
                             arguments: [mediaID, modelID]).map { row in
                var vector: [Float] = []
                VectorCoding.append(row[1], to: &vector)
                return FrameEmbedding(frameTime: row[0], vector: vector)
            }
        }
    }

    public func statistics() throws -> CatalogStatistics {
        let models = try models()
        return try read("statistics") { db in
            let counts = try Row.fetchOne(db, sql: """
                SELECT COUNT(*), SUM(media_type = 'photo'), SUM(media_type = 'video'), SUM(status = 'failed') FROM media
                """)
            return CatalogStatistics(
                mediaCount: counts?[0] ?? 0, photoCount: counts?[1] ?? 0, videoCount: counts?[2] ?? 0,
                failedCount: counts?[3] ?? 0, models: models)
        }
    }

    public func indexRuns() throws -> [IndexRun] {
        try read("run query") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM index_runs ORDER BY id").map { row in
                var counters = IndexRunCounters()
                counters.scanned = row["scanned"]
                counters.embedded = row["embedded"]
                counters.unchanged = row["unchanged"]
                counters.moved = row["moved"]
                counters.copied = row["copied"]
                counters.removed = row["removed"]
                counters.failed = row["failed"]
                let rootsText: String = row["roots"]
                let roots = (try? JSONDecoder().decode([String].self, from: Data(rootsText.utf8))) ?? [rootsText]
                return IndexRun(id: row["id"], modelID: row["model_id"], roots: roots, startedAt: row["started_at"],
                                finishedAt: row["finished_at"], status: IndexRunStatus(rawValue: row["status"]) ?? .interrupted,
                                counters: counters)
            }
        }
    }

    /// SQLite's `PRAGMA integrity_check` lines; `["ok"]` for a sound file.
    public func integrityCheck() throws -> [String] {
        try read("integrity check") { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    static func record(_ row: Row) -> MediaRecord {
        MediaRecord(
            id: row["id"], path: row["path"], size: row["size"], modificationTime: row["mtime"],
            contentHash: row["content_hash"],
            mediaType: (row["media_type"] as String?).flatMap(MediaType.init(rawValue:)) ?? .photo,
            width: row["width"], height: row["height"], duration: row["duration"], codec: row["codec"],
            indexedAt: row["indexed_at"], status: MediaStatus(rawValue: row["status"]) ?? .failed, error: row["error"])
    }
}

/// Float32 vectors stored as little-endian BLOBs (the byte order of every platform we build for).
enum VectorCoding {
    static func data(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    static func append(_ blob: Data, to vectors: inout [Float]) {
        let count = blob.count / MemoryLayout<Float>.size
        blob.withUnsafeBytes { raw in
            for index in 0..<count {
                vectors.append(raw.loadUnaligned(fromByteOffset: index * 4, as: Float.self))
            }
        }
    }
}
