import CLIPModels
import Foundation
import TensorCore
import XCTest

/// The BERT tower with real weights: sentence-transformers/all-MiniLM-L6-v2 against the embeddings
/// transformers computed (Tests/Fixtures/minilm/expected.json). The 87 MB weights are not committed:
/// `scripts/fetch-minilm.sh` puts them in Tests/Fixtures/minilm/model, or CLIPSEARCH_MINILM_DIR names a folder.
final class BERTRealWeightsTests: XCTestCase {
    static let fixture = FixturePaths.root.appendingPathComponent("minilm")

    static var modelDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["CLIPSEARCH_MINILM_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return fixture.appendingPathComponent("model")
    }

    func loadEncoder() throws -> BERTSentenceEncoder {
        let directory = Self.modelDirectory
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path) else {
            throw XCTSkip("all-MiniLM-L6-v2 weights not found in \(directory.path): run scripts/fetch-minilm.sh "
                          + "(or set CLIPSEARCH_MINILM_DIR) to run the BERT real-weights check")
        }
        return try BERTSentenceEncoder(directory: directory)
    }

    func testExpectedOutputsAreCommitted() throws {
        let expected = try expectedTexts()
        XCTAssertGreaterThanOrEqual(expected.count, 10)
    }

    func expectedTexts() throws -> [[String: Any]] {
        let data = try Data(contentsOf: Self.fixture.appendingPathComponent("expected.json"))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap(json["texts"] as? [[String: Any]])
    }

    func testMeanPooledSentenceEmbeddingsMatchTransformers() throws {
        let encoder = try loadEncoder()
        XCTAssertEqual(encoder.configuration.transformer.layerCount, 6)
        XCTAssertEqual(encoder.tokenizer.contextLength, 256)
        let texts = try expectedTexts()
        let strings = texts.compactMap { $0["text"] as? String }
        let ids = strings.map(encoder.tokenizer.encode)
        let pooled = try encoder.meanPooled(tokenIDs: ids)
        let normalized = try encoder.embed(texts: strings)
        var worstPooled: Float = 0, worstNormalized: Float = 0
        for (index, entry) in texts.enumerated() {
            let label = strings[index].debugDescription
            let expectedIDs = ((entry["input_ids"] as? [Any]) ?? []).compactMap { ($0 as? NSNumber)?.intValue }
            XCTAssertEqual(ids[index], expectedIDs, "token ids of \(label)")
            let pooledDifference = maximumDifference(pooled.row(index), floats(entry["mean_pooled"]))
            let normalizedDifference = maximumDifference(normalized[index], floats(entry["normalized"]))
            worstPooled = max(worstPooled, pooledDifference)
            worstNormalized = max(worstNormalized, normalizedDifference)
            XCTAssertLessThanOrEqual(pooledDifference, 1e-4, "mean-pooled embedding of \(label)")
            XCTAssertLessThanOrEqual(normalizedDifference, 1e-4, "normalised embedding of \(label)")
        }
        print("minilm parity: worst mean-pooled difference \(worstPooled), normalised \(worstNormalized) over \(texts.count) texts")
    }

    func testSentenceSimilarityIsMeaningful() throws {
        let encoder = try loadEncoder()
        let vectors = try encoder.embed(texts: ["A man is eating food.", "A man is eating a piece of bread.", "A monkey is playing drums."])
        func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        XCTAssertGreaterThan(cosine(vectors[0], vectors[1]), cosine(vectors[0], vectors[2]) + 0.2)
    }
}
