import TensorCore

/// One search result: the row of the vector in the index and its inner product with the query
/// (the cosine when both are unit vectors).
public struct VectorHit: Sendable, Equatable {
    public var row: Int
    public var score: Float

    public init(row: Int, score: Float) {
        self.row = row
        self.score = score
    }
}

/// Exact inner-product search over vectors kept in one row-major buffer. Brute force with BLAS is
/// memory-bound (100k × 512 floats = 200 MB read per pass, ~10 ms) and needs no training or
/// tuning, which for a personal photo library is the right trade against an approximate index.
public struct FlatVectorIndex: Sendable {
    public let dimension: Int
    public let count: Int
    public let vectors: [Float]

    public init(dimension: Int, vectors: [Float]) throws {
        guard dimension > 0 else { throw VectorIndexError.invalidParameter(name: "dimension", reason: "\(dimension) is not positive") }
        guard vectors.count % dimension == 0 else {
            throw VectorIndexError.invalidParameter(name: "vectors", reason: "\(vectors.count) values is not a multiple of dimension \(dimension)")
        }
        do { try BLAS.ensureLoaded() } catch { throw VectorIndexError.blasUnavailable(reason: "\(error)") }
        self.dimension = dimension
        self.count = vectors.count / dimension
        self.vectors = vectors
    }

    /// Inner products of every stored vector with each query: result[q][row].
    public func scores(queries: [[Float]]) throws -> [[Float]] {
        for query in queries where query.count != dimension {
            throw VectorIndexError.dimensionMismatch(context: "query", expected: dimension, found: query.count)
        }
        guard !queries.isEmpty else { return [] }
        if queries.count == 1 { return [scanScores(queries[0])] }
        let queryCount = queries.count
        let packed = queries.flatMap { $0 }
        guard count > 0 else { return Array(repeating: [], count: queryCount) }
        var all = [Float](repeating: 0, count: queryCount * count)
        vectors.withUnsafeBufferPointer { stored in
            packed.withUnsafeBufferPointer { query in
                all.withUnsafeMutableBufferPointer { output in
                    // [q × d] · [n × d]ᵀ = [q × n]: one pass over the stored vectors for all queries, and
                    // each query's scores come out contiguous.
                    BLAS.sgemm(transposeA: false, transposeB: true, m: queryCount, n: count, k: dimension,
                               a: query.baseAddress!, lda: dimension, b: stored.baseAddress!, ldb: dimension,
                               c: output.baseAddress!, ldc: count)
                }
            }
        }
        return (0..<queryCount).map { Array(all[$0 * count..<($0 + 1) * count]) }
    }

    /// One query: a matrix-vector product. GEMM would first pack (copy) all stored vectors, doubling
    /// the memory traffic of this memory-bound scan, so rows are streamed once, split across cores.
    func scanScores(_ query: [Float]) -> [Float] {
        var result = [Float](repeating: 0, count: count)
        let dimension = self.dimension
        let vectorCount = dimension / 16 * 16
        result.withUnsafeMutableBufferPointer { output in
            let output = UncheckedSendable(value: output)
            vectors.withUnsafeBufferPointer { stored in
                query.withUnsafeBufferPointer { query in
                    let base = stored.baseAddress!, q = query.baseAddress!
                    Parallel.forRanges(count: count, minimumPerThread: 4096) { start, end in
                        for row in start..<end {
                            let vector = base + row * dimension
                            var sum = SIMD16<Float>()
                            var index = 0
                            while index < vectorCount {
                                let a = UnsafeRawPointer(vector + index).loadUnaligned(as: SIMD16<Float>.self)
                                let b = UnsafeRawPointer(q + index).loadUnaligned(as: SIMD16<Float>.self)
                                sum += a * b
                                index += 16
                            }
                            var total = sum.sum()
                            while index < dimension {
                                total += vector[index] * q[index]
                                index += 1
                            }
                            output.value[row] = total
                        }
                    }
                }
            }
        }
        return result
    }

    /// The `top` best rows per query, best first, keeping only scores ≥ `threshold` when given.
    public func search(queries: [[Float]], top: Int, threshold: Float? = nil) throws -> [[VectorHit]] {
        guard top > 0 else { throw VectorIndexError.invalidParameter(name: "top", reason: "\(top) must be at least 1") }
        return try scores(queries: queries).map { Self.best(of: $0, top: top, threshold: threshold) }
    }

    public func search(_ query: [Float], top: Int, threshold: Float? = nil) throws -> [VectorHit] {
        try search(queries: [query], top: top, threshold: threshold)[0]
    }

    /// Top-k selection with a bounded min-heap: O(n log k), no full sort of n scores.
    public static func best(of scores: [Float], top: Int, threshold: Float?) -> [VectorHit] {
        var heap = MinHeap(capacity: top)
        let floor = threshold ?? -Float.infinity
        for (row, score) in scores.enumerated() where score >= floor && !score.isNaN {
            heap.offer(VectorHit(row: row, score: score))
        }
        return heap.sortedDescending()
    }
}

/// Keeps the `capacity` largest hits; ties prefer the lower row so results are deterministic.
struct MinHeap {
    private var items: [VectorHit] = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        items.reserveCapacity(capacity)
    }

    static func worse(_ a: VectorHit, _ b: VectorHit) -> Bool {
        a.score < b.score || (a.score == b.score && a.row > b.row)
    }

    mutating func offer(_ hit: VectorHit) {
        if items.count < capacity {
            items.append(hit)
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard Self.worse(items[child], items[parent]) else { break }
                items.swapAt(child, parent)
                child = parent
            }
        } else if let root = items.first, Self.worse(root, hit) {
            items[0] = hit
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count, Self.worse(items[left], items[smallest]) { smallest = left }
                if right < items.count, Self.worse(items[right], items[smallest]) { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
    }

    func sortedDescending() -> [VectorHit] {
        items.sorted { Self.worse($1, $0) }
    }
}
