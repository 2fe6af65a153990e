import TensorCore

/// A group of near-duplicate vectors: the representative (the member most similar to the others)
/// first, then the rest by decreasing similarity to it.
public struct DuplicateGroup: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var row: Int
        /// Cosine to the representative (1 for the representative itself).
        public var score: Float
    }

    public var members: [Member]
    /// Lowest cosine between any two members.
    public var minimumScore: Float
}

public enum NearDuplicates {
    /// Side of the square tiles of the similarity matrix computed per BLAS call: large enough that
    /// GEMM's packing is cheap against its n²·d work, small enough (16 MB) to bound memory.
    static let tileSide = 2048

    /// Groups rows whose cosine is ≥ `threshold`, linking transitively (single linkage): at
    /// near-duplicate thresholds a chain A~B~C almost always means three copies of one photo.
    /// Cost is n²·d multiply-adds in blocks (100k vectors of 512: ~30 s on 2 cores).
    public static func groups(vectors: [Float], dimension: Int, threshold: Float) throws -> [DuplicateGroup] {
        guard dimension > 0, vectors.count % dimension == 0 else {
            throw VectorIndexError.invalidParameter(name: "vectors", reason: "\(vectors.count) values is not a multiple of dimension \(dimension)")
        }
        guard threshold > -1, threshold <= 1 else {
            throw VectorIndexError.invalidParameter(name: "threshold", reason: "\(threshold) is outside (-1, 1]")
        }
        do { try BLAS.ensureLoaded() } catch { throw VectorIndexError.blasUnavailable(reason: "\(error)") }
        let count = vectors.count / dimension
        var parent = Array(0..<count)
        func find(_ x: Int) -> Int {
            var root = x
            while parent[root] != root { root = parent[root] }
            var node = x
            while parent[node] != root { (parent[node], node) = (root, parent[node]) }
            return root
        }
        var tile = [Float](repeating: 0, count: min(tileSide, max(count, 1)) * min(tileSide, max(count, 1)))
        for rowStart in stride(from: 0, to: count, by: tileSide) {
            let rows = min(tileSide, count - rowStart)
            // Upper triangle only: tiles on and right of the diagonal.
            for columnStart in stride(from: rowStart, to: count, by: tileSide) {
                let columns = min(tileSide, count - columnStart)
                vectors.withUnsafeBufferPointer { stored in
                    tile.withUnsafeMutableBufferPointer { output in
                        let base = stored.baseAddress!
                        BLAS.sgemm(transposeA: false, transposeB: true, m: rows, n: columns, k: dimension,
                                   a: base + rowStart * dimension, lda: dimension, b: base + columnStart * dimension, ldb: dimension,
                                   c: output.baseAddress!, ldc: columns)
                    }
                }
                for row in 0..<rows {
                    let first = columnStart == rowStart ? row + 1 : 0
                    for column in first..<max(first, columns) where tile[row * columns + column] >= threshold {
                        let a = find(rowStart + row), b = find(columnStart + column)
                        if a != b { parent[max(a, b)] = min(a, b) }
                    }
                }
            }
        }
        var members: [Int: [Int]] = [:]
        for row in 0..<count { members[find(row), default: []].append(row) }
        func cosine(_ a: Int, _ b: Int) -> Float {
            var sum: Float = 0
            for index in 0..<dimension { sum += vectors[a * dimension + index] * vectors[b * dimension + index] }
            return sum
        }
        var groups: [DuplicateGroup] = []
        for rows in members.values where rows.count > 1 {
            var similarity = [[Float]](repeating: [Float](repeating: 1, count: rows.count), count: rows.count)
            var minimum: Float = 1
            for i in rows.indices {
                for j in rows.indices where j > i {
                    let value = cosine(rows[i], rows[j])
                    similarity[i][j] = value
                    similarity[j][i] = value
                    minimum = min(minimum, value)
                }
            }
            let center = rows.indices.max { similarity[$0].reduce(0, +) < similarity[$1].reduce(0, +) } ?? 0
            let ordered = rows.indices.map { DuplicateGroup.Member(row: rows[$0], score: $0 == center ? 1 : similarity[center][$0]) }
                .sorted { $0.score > $1.score || ($0.score == $1.score && $0.row < $1.row) }
            groups.append(DuplicateGroup(members: ordered, minimumScore: minimum))
        }
        return groups.sorted { ($0.members.count, $1.members[0].row) > ($1.members.count, $0.members[0].row) }
    }
}
