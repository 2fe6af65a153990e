import XCTest
@testable import VectorIndex

final class FlatVectorIndexTests: XCTestCase {
    func randomUnitVectors(count: Int, dimension: Int, seed: UInt64) -> [Float] {
        var generator = SeededGeneratorForTests(seed: seed)
        var values: [Float] = []
        for _ in 0..<count {
            let row = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            values += row.map { $0 / norm }
        }
        return values
    }

    func naiveTop(_ vectors: [Float], dimension: Int, query: [Float], top: Int) -> [(Int, Float)] {
        let count = vectors.count / dimension
        var scored: [(Int, Float)] = []
        for row in 0..<count {
            var sum: Double = 0
            for index in 0..<dimension { sum += Double(vectors[row * dimension + index]) * Double(query[index]) }
            scored.append((row, Float(sum)))
        }
        return Array(scored.sorted { $0.1 > $1.1 }.prefix(top))
    }

    func testTopKMatchesNaiveScanForSingleAndBatchedQueries() throws {
        let dimension = 24
        let vectors = randomUnitVectors(count: 3000, dimension: dimension, seed: 1)
        let index = try FlatVectorIndex(dimension: dimension, vectors: vectors)
        let queries = (0..<3).map { query in Array(randomUnitVectors(count: 1, dimension: dimension, seed: 100 + UInt64(query))) }
        let batched = try index.search(queries: queries, top: 7)
        for (query, hits) in zip(queries, batched) {
            let expected = naiveTop(vectors, dimension: dimension, query: query, top: 7)
            XCTAssertEqual(hits.map(\.row), expected.map(\.0))
            for (hit, reference) in zip(hits, expected) { XCTAssertEqual(hit.score, reference.1, accuracy: 1e-5) }
            // One query alone takes the matrix-vector path: same rows, scores equal up to summation order.
            let single = try index.search(query, top: 7)
            XCTAssertEqual(single.map(\.row), hits.map(\.row))
            for (a, b) in zip(single, hits) { XCTAssertEqual(a.score, b.score, accuracy: 1e-5) }
        }
    }

    func testThresholdAndTopLargerThanCount() throws {
        let vectors: [Float] = [1, 0, 0, 1, 0.6, 0.8, -1, 0]
        let index = try FlatVectorIndex(dimension: 2, vectors: vectors)
        let hits = try index.search([1, 0], top: 10, threshold: 0.5)
        XCTAssertEqual(hits.map(\.row), [0, 2])
        XCTAssertEqual(hits.map(\.score), [1, 0.6])
        XCTAssertEqual(try index.search([1, 0], top: 10).map(\.row), [0, 2, 1, 3])
    }

    func testTiesAreBrokenByRowForDeterminism() throws {
        let index = try FlatVectorIndex(dimension: 1, vectors: [0.5, 1, 0.5, 1, 0.5])
        XCTAssertEqual(try index.search([1], top: 3).map(\.row), [1, 3, 0])
    }

    func testBadInputIsAnError() throws {
        XCTAssertThrowsError(try FlatVectorIndex(dimension: 3, vectors: [1, 2, 3, 4]))
        let index = try FlatVectorIndex(dimension: 2, vectors: [1, 0])
        XCTAssertThrowsError(try index.search([1, 0, 0], top: 1)) { error in
            XCTAssertEqual(error as? VectorIndexError, .dimensionMismatch(context: "query", expected: 2, found: 3))
        }
        XCTAssertThrowsError(try index.search([1, 0], top: 0))
        let empty = try FlatVectorIndex(dimension: 2, vectors: [])
        XCTAssertEqual(try empty.search([1, 0], top: 3), [])
    }
}

final class NearDuplicatesTests: XCTestCase {
    /// Planted pairs (a vector and a slightly perturbed copy) among random vectors, spread across
    /// BLAS blocks: exactly the planted pairs group at 0.98, and a chain links at a looser threshold.
    func testFindsPlantedPairsAcrossTiles() throws {
        let dimension = 64
        var generator = SeededGeneratorForTests(seed: 9)
        func unit(_ values: [Float]) -> [Float] {
            let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return values.map { $0 / norm }
        }
        var rows = (0..<(NearDuplicates.tileSide + 300)).map { _ in unit((0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }) }
        let planted = [(3, NearDuplicates.tileSide + 290), (150, 151), (NearDuplicates.tileSide + 10, NearDuplicates.tileSide + 200)]
        for (original, copy) in planted {
            rows[copy] = unit(zip(rows[original], (0..<dimension).map { _ in Float.random(in: -0.02...0.02, using: &generator) }).map { $0 + $1 })
        }
        let groups = try NearDuplicates.groups(vectors: rows.flatMap { $0 }, dimension: dimension, threshold: 0.98)
        XCTAssertEqual(Set(groups.map { Set($0.members.map(\.row)) }), Set(planted.map { Set([$0.0, $0.1]) }))
        for group in groups {
            XCTAssertEqual(group.members.count, 2)
            XCTAssertEqual(group.members[0].score, 1)
            XCTAssertGreaterThan(group.members[1].score, 0.98)
            XCTAssertEqual(group.minimumScore, group.members[1].score, accuracy: 1e-6)
        }
        XCTAssertThrowsError(try NearDuplicates.groups(vectors: [1, 0], dimension: 2, threshold: 1.5))
    }

    func testSingleLinkageChainsAndRepresentativeIsTheCentre() throws {
        // Unit vectors at 0°, 10°, 20°: neighbours have cosine 0.985, the ends 0.940.
        let angles: [Float] = [0, 10, 20, 90]
        let vectors = angles.flatMap { [cos($0 * .pi / 180), sin($0 * .pi / 180)] }
        let groups = try NearDuplicates.groups(vectors: vectors, dimension: 2, threshold: 0.98)
        XCTAssertEqual(groups.count, 1)
        XCTAssertEqual(groups[0].members.first?.row, 1, "the middle vector is most similar to the others")
        XCTAssertEqual(Set(groups[0].members.map(\.row)), [0, 1, 2])
        XCTAssertEqual(groups[0].minimumScore, cos(20 * .pi / 180), accuracy: 1e-5)
    }
}

/// SplitMix64 for reproducible test data.
struct SeededGeneratorForTests: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
