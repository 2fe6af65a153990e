#!/usr/bin/env python3
"""Fills a clip-search catalog with N synthetic photos (random unit vectors) for load tests.

The catalog must already exist and know the model (index any folder with that model first); rows
are added under /synthetic/<folder>/ and point at no real file (media endpoints answer 404 for them).
usage: synthesize-catalog.py CATALOG COUNT [SEED]
"""
import math, random, sqlite3, struct, sys, time

try:  # numpy when present (fast); the standard library otherwise
    import numpy
except ImportError:
    numpy = None

path, count = sys.argv[1], int(sys.argv[2])
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1234
rng = random.Random(seed)
generator = numpy.random.default_rng(seed) if numpy is not None else None
db = sqlite3.connect(path)
model_id, dimension = db.execute("SELECT id, dimension FROM models ORDER BY added_at LIMIT 1").fetchone()
now = time.time()
with db:
    for start in range(0, count, 5000):
        media, vectors = [], []
        for index in range(start, min(count, start + 5000)):
            media.append((f"/synthetic/folder-{index % 100:02d}/photo-{index:06d}.jpg", 1000, now, f"synthetic{index:058d}", now))
        ids = [db.execute("INSERT INTO media (path, size, mtime, content_hash, indexed_at) VALUES (?, ?, ?, ?, ?)", row).lastrowid
               for row in media]
        if numpy is not None:
            block = generator.standard_normal((len(ids), dimension)).astype("<f4")
            block /= numpy.linalg.norm(block, axis=1, keepdims=True)
            vectors = [(media_id, model_id, 0.0, block[row].tobytes()) for row, media_id in enumerate(ids)]
        for media_id in ids if numpy is None else []:
            values = [rng.gauss(0, 1) for _ in range(dimension)]
            norm = math.sqrt(sum(v * v for v in values))
            vectors.append((media_id, model_id, 0.0, struct.pack(f"<{dimension}f", *(v / norm for v in values))))
        db.executemany("INSERT INTO embeddings (media_id, model_id, frame_time, vector) VALUES (?, ?, ?, ?)", vectors)
print(db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0], "vectors in", path)
