import Foundation
import GRDB
import XCTest
@testable import Catalog

final class CatalogTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func record(_ path: String, hash: String, size: Int64 = 100) -> MediaRecord {
        MediaRecord(path: path, size: size, modificationTime: 1_700_000_000.25, contentHash: hash, width: 640, height: 480)
    }

    func testWritesReadsAndReplacesVectorsInWALMode() throws {
        let path = folder.appendingPathComponent("c.sqlite").path
        let catalog = try Catalog(path: path)
        XCTAssertEqual(try catalog.schemaVersions(), [CatalogSchema.version1, CatalogSchema.version2])
        let first: [Float] = [0.6, 0.8, 0, -0.0001]
        let id = try catalog.write { writer -> Int64 in
            try writer.registerModel(id: "m1", name: "tiny", dimension: 4)
            let id = try writer.upsertMedia(record("/photos/a.jpg", hash: "aa"))
            try writer.replaceEmbeddings(mediaID: id, modelID: "m1", [FrameEmbedding(vector: first)])
            return id
        }
        let table = try catalog.loadEmbeddings(modelID: "m1")
        XCTAssertEqual(table.entries.map(\.path), ["/photos/a.jpg"])
        XCTAssertEqual(table.vectors, first, "float32 BLOBs round-trip bit for bit")
        XCTAssertEqual(try catalog.media(id: id)?.modificationTime, 1_700_000_000.25)

        // Same content, new mtime: the vector stays. New content: every model's vectors go.
        try catalog.write { writer in
            var touched = record("/photos/a.jpg", hash: "aa")
            touched.modificationTime += 5
            try writer.upsertMedia(touched)
        }
        XCTAssertEqual(try catalog.loadEmbeddings(modelID: "m1").count, 1)
        try catalog.write { try $0.upsertMedia(record("/photos/a.jpg", hash: "bb")) }
        XCTAssertEqual(try catalog.loadEmbeddings(modelID: "m1").count, 0)

        let mode = try XCTUnwrap(catalog.pool).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(mode, "wal")
        XCTAssertEqual(try catalog.integrityCheck(), ["ok"])
    }

    func testMoveKeepsVectorsAndDeleteCascades() throws {
        let catalog = try Catalog(path: folder.appendingPathComponent("c.sqlite").path)
        let id = try catalog.write { writer -> Int64 in
            try writer.registerModel(id: "m1", name: "tiny", dimension: 2)
            let id = try writer.upsertMedia(record("/a/old name.jpg", hash: "h1"))
            try writer.replaceEmbeddings(mediaID: id, modelID: "m1", [FrameEmbedding(vector: [1, 0])])
            return id
        }
        try catalog.write { try $0.moveMedia(id: id, to: record("/b/new name.jpg", hash: "h1")) }
        XCTAssertNil(try catalog.media(path: "/a/old name.jpg"))
        XCTAssertEqual(try catalog.media(path: "/b/new name.jpg")?.id, id)
        XCTAssertEqual(try catalog.embeddings(mediaID: id, modelID: "m1").map(\.vector), [[1, 0]])
        XCTAssertEqual(try catalog.embeddedContentHashes(modelID: "m1"), ["h1": id])

        let copy = try catalog.write { writer -> Int64 in
            let copy = try writer.upsertMedia(record("/c/copy.jpg", hash: "h1"))
            try writer.copyEmbeddings(fromMediaID: id, toMediaID: copy, modelID: "m1")
            return copy
        }
        XCTAssertEqual(try catalog.embeddings(mediaID: copy, modelID: "m1").map(\.vector), [[1, 0]])
        // Two index runs can both see a file as a copy of itself; copying onto itself keeps the vectors.
        try catalog.write { try $0.copyEmbeddings(fromMediaID: copy, toMediaID: copy, modelID: "m1") }
        XCTAssertEqual(try catalog.embeddings(mediaID: copy, modelID: "m1").map(\.vector), [[1, 0]])
        try catalog.write { try $0.deleteMedia(ids: [id, copy]) }
        XCTAssertEqual(try catalog.statistics().mediaCount, 0)
        let orphans = try XCTUnwrap(catalog.pool).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM embeddings") }
        XCTAssertEqual(orphans, 0, "deleting media deletes its vectors")
    }

    /// A second index run on the same catalog is refused while the first holds the lock, and allowed
    /// once it is released.
    func testIndexRunLockRefusesASecondRun() throws {
        let path = folder.appendingPathComponent("locked.sqlite").path
        var first: IndexRunLock? = try IndexRunLock(catalogPath: path)
        XCTAssertThrowsError(try IndexRunLock(catalogPath: path)) { error in
            XCTAssertTrue("\(error)".contains("another index run"), "\(error)")
            XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
        }
        XCTAssertNotNil(first)
        first = nil
        XCTAssertNoThrow(try IndexRunLock(catalogPath: path))
    }

    func testPrefixQueryDoesNotTreatUnderscoreOrPercentAsWildcards() throws {
        let catalog = try Catalog(path: folder.appendingPathComponent("c.sqlite").path)
        try catalog.write { writer in
            try writer.registerModel(id: "m", name: "m", dimension: 1)
            for path in ["/p_1/a.jpg", "/pX1/b.jpg", "/p_1x/c.jpg", "/p%/d.jpg"] { try writer.upsertMedia(record(path, hash: path)) }
        }
        XCTAssertEqual(try catalog.mediaStates(under: "/p_1", modelID: "m").map(\.record.path), ["/p_1/a.jpg"])
        XCTAssertEqual(try catalog.mediaStates(under: "/p%", modelID: "m").map(\.record.path), ["/p%/d.jpg"])
        XCTAssertEqual(try catalog.mediaStates(under: nil, modelID: "m").count, 4)
    }

    func testDimensionMismatchIsAnErrorWithContext() throws {
        let catalog = try Catalog(path: folder.appendingPathComponent("c.sqlite").path)
        XCTAssertThrowsError(try catalog.write { writer in
            try writer.registerModel(id: "m", name: "m", dimension: 3)
            let id = try writer.upsertMedia(record("/x.jpg", hash: "x"))
            try writer.replaceEmbeddings(mediaID: id, modelID: "m", [FrameEmbedding(vector: [1, 0])])
        }) { error in
            XCTAssertTrue("\(error)".contains("dimension 3, got a vector of 2"), "\(error)")
        }
        XCTAssertEqual(try catalog.statistics().mediaCount, 0, "the failed transaction left nothing behind")
    }

    /// A catalog this process may not write (here: immutable, so even root may not) is searched read-only;
    /// a write, or opening it to index, is a one-line error; nothing in the file changes.
    func testCatalogWithoutWriteAccessIsReadOnly() throws {
        let path = folder.appendingPathComponent("frozen.sqlite").path
        do {
            let catalog = try Catalog(path: path)
            try catalog.write { writer in
                try writer.registerModel(id: "m1", name: "tiny", dimension: 3)
                let id = try writer.upsertMedia(record("/photos/a.jpg", hash: "aa"))
                try writer.replaceEmbeddings(mediaID: id, modelID: "m1", [FrameEmbedding(vector: [0.6, 0.8, 0])])
            }
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        func chattr(_ flag: String) -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
            process.arguments = [flag, path]
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return -1 }
            process.waitUntilExit()
            return process.terminationStatus
        }
        try XCTSkipUnless(chattr("+i") == 0, "chattr +i is not available here (needs root and an ext4-like file system)")
        defer { _ = chattr("-i") }
        // A checkpoint may have left -wal/-shm files; the read-only open must cope either way.
        let reader = try Catalog(path: path, createIfMissing: false)
        XCTAssertTrue(reader.isReadOnly)
        XCTAssertEqual(try reader.statistics().mediaCount, 1)
        XCTAssertEqual(try reader.loadEmbeddings(modelID: "m1").vectors, [0.6, 0.8, 0])
        XCTAssertThrowsError(try reader.write { try $0.upsertMedia(self.record("/photos/b.jpg", hash: "bb")) }) { error in
            XCTAssertTrue("\(error)".contains("read-only") && "\(error)".contains(path), "\(error)")
        }
        XCTAssertThrowsError(try Catalog(path: path)) { error in
            XCTAssertTrue("\(error)".contains("no write access"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
    }

    func testMissingCatalogIsAnErrorForReaders() {
        let path = folder.appendingPathComponent("absent.sqlite").path
        XCTAssertThrowsError(try Catalog(path: path, createIfMissing: false)) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        // An empty file is no catalog either, and a reader must not turn it into one.
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        XCTAssertThrowsError(try Catalog(path: path, createIfMissing: false)) { error in
            XCTAssertTrue("\(error)".contains("empty"), "\(error)")
        }
        XCTAssertEqual((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, 0)
    }

    /// A catalog written by the first schema version (built by truncating the migrator) opens,
    /// migrates to the latest version and keeps its rows and vectors.
    func testMigratesFirstSchemaVersionToLatest() throws {
        let path = folder.appendingPathComponent("v1.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try CatalogSchema.migrator.migrate(queue, upTo: CatalogSchema.version1)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO models (id, name, dimension, added_at) VALUES ('m', 'tiny', 2, 0)")
                try db.execute(sql: """
                    INSERT INTO media (path, size, mtime, content_hash, width, height, indexed_at, status)
                    VALUES ('/old/a.jpg', 10, 5.5, 'hash-a', 3, 4, 6, 'ok')
                    """)
                try db.execute(sql: "INSERT INTO embeddings (media_id, model_id, frame_time, vector) VALUES (1, 'm', 0, ?)",
                               arguments: [VectorCoding.data([0.5, -0.25])])
            }
            let columns = try queue.read { try $0.columns(in: "media").map(\.name) }
            XCTAssertFalse(columns.contains("media_type"), "v1 has no video columns")
        }
        let catalog = try Catalog(path: path)
        XCTAssertEqual(catalog.appliedMigrations, [CatalogSchema.version2])
        XCTAssertEqual(try catalog.schemaVersions(), [CatalogSchema.version1, CatalogSchema.version2])
        let migrated = try XCTUnwrap(try catalog.media(path: "/old/a.jpg"))
        XCTAssertEqual(migrated.mediaType, .photo)
        XCTAssertEqual(migrated.contentHash, "hash-a")
        XCTAssertEqual(try catalog.loadEmbeddings(modelID: "m").vectors, [0.5, -0.25])
        XCTAssertEqual(try catalog.indexRuns(), [])
        XCTAssertEqual(try catalog.integrityCheck(), ["ok"])
        // Reopening applies nothing.
        XCTAssertEqual(try Catalog(path: path).appliedMigrations, [])
    }

    func testCatalogFromNewerVersionIsRefused() throws {
        let path = folder.appendingPathComponent("future.sqlite").path
        _ = try Catalog(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-future')") }
        try queue.close()
        XCTAssertThrowsError(try Catalog(path: path)) { error in
            XCTAssertTrue("\(error)".contains("v9-future"), "\(error)")
        }
    }

    /// A reader sees the last commit while a writer holds an open transaction (WAL).
    func testReaderSeesCommittedStateDuringWrite() throws {
        let path = folder.appendingPathComponent("c.sqlite").path
        let writerCatalog = try Catalog(path: path)
        try writerCatalog.write { writer in
            try writer.registerModel(id: "m", name: "m", dimension: 1)
            try writer.upsertMedia(record("/1.jpg", hash: "1"))
        }
        let readerCatalog = try Catalog(path: path, createIfMissing: false)
        let inside = expectation(description: "writer inside its transaction")
        let release = DispatchSemaphore(value: 0)
        let done = expectation(description: "writer done")
        let second = record("/2.jpg", hash: "2")
        DispatchQueue.global().async {
            try? writerCatalog.write { writer in
                try writer.upsertMedia(second)
                inside.fulfill()
                release.wait()
            }
            done.fulfill()
        }
        wait(for: [inside], timeout: 10)
        XCTAssertEqual(try readerCatalog.statistics().mediaCount, 1, "reader is not blocked and sees only the commit")
        release.signal()
        wait(for: [done], timeout: 10)
        XCTAssertEqual(try readerCatalog.statistics().mediaCount, 2)
    }

    func testIndexRunCountersRoundTrip() throws {
        let catalog = try Catalog(path: folder.appendingPathComponent("c.sqlite").path)
        var counters = IndexRunCounters()
        counters.scanned = 9
        counters.moved = 2
        counters.failed = 1
        try catalog.write { writer in
            let id = try writer.beginIndexRun(modelID: "m", roots: ["/a", "/b c"])
            try writer.updateIndexRun(id: id, counters: counters, status: .completed)
        }
        let run = try XCTUnwrap(try catalog.indexRuns().first)
        XCTAssertEqual(run.roots, ["/a", "/b c"])
        XCTAssertEqual(run.counters, counters)
        XCTAssertEqual(run.status, .completed)
        XCTAssertNotNil(run.finishedAt)
    }
}
