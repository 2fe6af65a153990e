import ArgumentParser
import CLIPModels
import Foundation
import TensorCore
import VectorIndex

struct BenchSearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-search",
        abstract: "Measure query latency: text encoding on a full-size ViT-B/32 text tower plus exact search over random vectors.",
        discussion: "Seeded random weights and unit vectors; nothing is read from disk. Run it on a quiet machine.")

    @Option(help: "Number of stored vectors.")
    var vectors = 100_000

    @Option(help: "Number of timed queries.")
    var queries = 30

    @Option(help: "Results per query.")
    var top = 10

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard vectors >= 1, queries >= 1, top >= 1 else { throw ValidationError("--vectors, --queries and --top must be at least 1") }
    }

    func run() throws {
        let configuration = CLIPConfiguration.vitBase32
        let model = try CLIPModel.random(configuration: configuration, seed: 42)
        let dimension = configuration.projectionDimension
        var generator = SeededGenerator(seed: 11)
        var stored = [Float](repeating: 0, count: vectors * dimension)
        for row in 0..<vectors {
            var norm: Float = 0
            for index in 0..<dimension {
                let value = generator.nextNormal()
                stored[row * dimension + index] = value
                norm += value * value
            }
            let scale = 1 / norm.squareRoot()
            for index in 0..<dimension { stored[row * dimension + index] *= scale }
        }
        let index = try FlatVectorIndex(dimension: dimension, vectors: stored)
        // Token ids of "a photo of a golden retriever on the beach" style queries: 10–12 tokens with
        // start and end, varied so no two timed queries are identical.
        func tokens(_ seed: Int) -> [Int] { [49406] + (0..<(8 + seed % 3)).map { 320 + (seed * 37 + $0 * 101) % 40000 } + [49407] }
        _ = try model.encodeTexts(tokenIDs: [tokens(0)])

        var totals: [Double] = [], textTimes: [Double] = [], searchTimes: [Double] = []
        for query in 0..<queries {
            let start = DispatchTime.now().uptimeNanoseconds
            let embedding = try model.encodeTexts(tokenIDs: [tokens(query + 1)])
            Operations.normalizeRowsInPlace(embedding)
            let encoded = DispatchTime.now().uptimeNanoseconds
            let hits = try index.search(embedding.row(0), top: top)
            let end = DispatchTime.now().uptimeNanoseconds
            precondition(hits.count == min(top, vectors))
            totals.append(Double(end - start) / 1e6)
            textTimes.append(Double(encoded - start) / 1e6)
            searchTimes.append(Double(end - encoded) / 1e6)
        }
        var scanTimes: [Double] = []
        for _ in 0..<queries {
            let query = (0..<dimension).map { _ in generator.nextNormal() }
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try index.scores(queries: [query])
            scanTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let batch = (0..<32).map { _ in (0..<dimension).map { _ in generator.nextNormal() } }
        let batchStart = DispatchTime.now().uptimeNanoseconds
        _ = try index.search(queries: batch, top: top)
        let batchedPerQuery = Double(DispatchTime.now().uptimeNanoseconds - batchStart) / 1e6 / 32

        func percentile(_ values: [Double], _ fraction: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction + 0.5))]
        }
        let results: [(String, Double)] = [
            ("query_total_ms_median", percentile(totals, 0.5)), ("query_total_ms_p95", percentile(totals, 0.95)),
            ("text_encoding_ms_median", percentile(textTimes, 0.5)), ("search_ms_median", percentile(searchTimes, 0.5)),
            ("scan_only_ms_median", percentile(scanTimes, 0.5)),
            ("search_ms_per_query_batched_32", batchedPerQuery),
        ]
        if json {
            var object: [String: Any] = ["vectors": vectors, "dimension": dimension, "queries": queries, "top": top,
                                         "blas_core": BLAS.coreName, "threads": Parallel.processorCount]
            for (key, value) in results { object[key] = (value * 1000).rounded() / 1000 }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\(vectors) random unit vectors × \(dimension), ViT-B/32 text tower (random weights), top \(top), BLAS \(BLAS.coreName), \(Parallel.processorCount) threads")
            for (key, value) in results { print(key.padding(toLength: 34, withPad: " ", startingAt: 0), String(format: "%.2f", value)) }
        }
    }
}
