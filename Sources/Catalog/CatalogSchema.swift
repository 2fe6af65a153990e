import GRDB

/// The catalog's schema history. Migrations are append-only: a released identifier is never edited,
/// because catalogs in the wild recorded it in `grdb_migrations` and will not run it again.
public enum CatalogSchema {
    /// First released schema: photos only.
    public static let version1 = "v1-photos"
    /// Media type, duration and codec for videos (frames share the embeddings table through
    /// `frame_time`), and a log of index runs with their counters.
    public static let version2 = "v2-video-and-runs"
    public static let latest = version2

    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(version1) { db in
            try db.execute(sql: """
                CREATE TABLE models (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    dimension INTEGER NOT NULL CHECK (dimension > 0),
                    added_at REAL NOT NULL
                );
                CREATE TABLE media (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    path TEXT NOT NULL UNIQUE,
                    size INTEGER NOT NULL,
                    mtime REAL NOT NULL,
                    content_hash TEXT NOT NULL,
                    width INTEGER,
                    height INTEGER,
                    indexed_at REAL NOT NULL,
                    status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'failed')),
                    error TEXT
                );
                CREATE INDEX media_content_hash ON media(content_hash);
                CREATE TABLE embeddings (
                    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
                    model_id TEXT NOT NULL REFERENCES models(id),
                    frame_time REAL NOT NULL DEFAULT 0,
                    vector BLOB NOT NULL,
                    PRIMARY KEY (media_id, model_id, frame_time)
                );
                CREATE INDEX embeddings_model ON embeddings(model_id);
                """)
        }
        migrator.registerMigration(version2) { db in
            try db.execute(sql: """
                ALTER TABLE media ADD COLUMN media_type TEXT NOT NULL DEFAULT 'photo' CHECK (media_type IN ('photo', 'video'));
                ALTER TABLE media ADD COLUMN duration REAL;
                ALTER TABLE media ADD COLUMN codec TEXT;
                CREATE TABLE index_runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    model_id TEXT NOT NULL,
                    roots TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    finished_at REAL,
                    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'interrupted')),
                    scanned INTEGER NOT NULL DEFAULT 0,
                    embedded INTEGER NOT NULL DEFAULT 0,
                    unchanged INTEGER NOT NULL DEFAULT 0,
                    moved INTEGER NOT NULL DEFAULT 0,
                    copied INTEGER NOT NULL DEFAULT 0,
                    removed INTEGER NOT NULL DEFAULT 0,
                    failed INTEGER NOT NULL DEFAULT 0
                );
                """)
        }
        return migrator
    }
}
