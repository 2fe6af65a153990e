import CLIPModels
import Foundation
import ImageCodecs
import TensorCore
import XCTest

/// Embeddings against transformers' CLIPModel on the random-weight fixtures that
/// scripts/fixtures/make_model_fixtures.py wrote (see Tests/Fixtures/MANIFEST.md).
final class ReferenceParityTests: XCTestCase {
    static let textTolerance: Float = 1e-4
    static let imageTolerance: Float = 1e-3

    func testThereAreSeveralFixtureModels() {
        XCTAssertGreaterThanOrEqual(FixturePaths.committedModelNames.count, 3, "fixture models missing under \(FixturePaths.models.path)")
    }

    func testTokenIDsAndTextEmbeddingsMatchTransformers() throws {
        for name in FixturePaths.modelNames {
            let embedder = try CLIPEmbedder.load(directory: FixturePaths.directory(name))
            let expected = try FixturePaths.expected(name)
            let texts = try XCTUnwrap(expected["texts"] as? [[String: Any]])
            XCTAssertGreaterThan(texts.count, 5)
            let strings = texts.compactMap { $0["text"] as? String }
            let vectors = try embedder.embed(texts: strings)
            let raw = try embedder.model.encodeTexts(tokenIDs: strings.map(embedder.tokenize))
            var worst: Float = 0
            defer { print("parity \(name): worst normalised text difference \(worst) over \(texts.count) texts") }
            for (index, entry) in texts.enumerated() {
                let text = strings[index]
                let ids = ((entry["input_ids"] as? [Any]) ?? []).compactMap { ($0 as? NSNumber)?.intValue }
                XCTAssertEqual(embedder.tokenize(text), ids, "\(name): token ids of \(text.debugDescription)")
                let normalizedDifference = maximumDifference(vectors[index], floats(entry["text_embeds_normalized"]))
                worst = max(worst, normalizedDifference)
                XCTAssertLessThanOrEqual(normalizedDifference, Self.textTolerance, "\(name): normalised embedding of \(text.debugDescription)")
                let rawDifference = maximumDifference(raw.row(index), floats(entry["text_embeds"]))
                XCTAssertLessThanOrEqual(rawDifference, Self.textTolerance * 10, "\(name): raw embedding of \(text.debugDescription)")
            }
        }
    }

    /// The default precision is bf16x3 on CPUs with AMX: the fp32 kernels (every other CPU) must keep
    /// the same parity, and one-pass bf16 must stay close to the reference while really differing from it.
    func testEveryMatrixPrecisionMatchesTransformers() throws {
        let saved = MatrixPrecision.current
        defer { MatrixPrecision.current = saved }
        for precision in MatrixPrecision.allCases {
            MatrixPrecision.current = precision
            let (textTolerance, imageTolerance): (Float, Float) = precision == .bfloat16 ? (3e-2, 3e-2) : (Self.textTolerance, Self.imageTolerance)
            for name in FixturePaths.modelNames {
                let embedder = try CLIPEmbedder.load(directory: FixturePaths.directory(name))
                let expected = try FixturePaths.expected(name)
                let texts = try XCTUnwrap(expected["texts"] as? [[String: Any]])
                let strings = texts.compactMap { $0["text"] as? String }
                var worst: Float = 0
                for (vector, entry) in zip(try embedder.embed(texts: strings), texts) {
                    worst = max(worst, maximumDifference(vector, floats(entry["text_embeds_normalized"])))
                }
                let images = try XCTUnwrap(expected["images"] as? [[String: Any]])
                let urls = images.compactMap { $0["file"] as? String }.map { FixturePaths.photos.appendingPathComponent($0) }
                var worstImage: Float = 0
                for (result, entry) in zip(embedder.embed(imageFiles: urls), images) {
                    worstImage = max(worstImage, maximumDifference(try result.get(), floats(entry["image_embeds_normalized"])))
                }
                print("parity \(name) \(precision.effective.rawValue): worst text \(worst), worst image \(worstImage)")
                XCTAssertLessThanOrEqual(worst, textTolerance, "\(name) \(precision.rawValue): text embeddings")
                XCTAssertLessThanOrEqual(worstImage, imageTolerance, "\(name) \(precision.rawValue): image embeddings")
                if precision.effective == .bfloat16 { XCTAssertGreaterThan(max(worst, worstImage), Self.textTolerance / 100) }
            }
        }
    }

    func testImageEmbeddingsMatchTransformers() throws {
        for name in FixturePaths.modelNames {
            let embedder = try CLIPEmbedder.load(directory: FixturePaths.directory(name))
            let expected = try FixturePaths.expected(name)
            let images = try XCTUnwrap(expected["images"] as? [[String: Any]])
            XCTAssertGreaterThan(images.count, 5)
            let urls = images.compactMap { $0["file"] as? String }.map { FixturePaths.photos.appendingPathComponent($0) }
            let results = embedder.embed(imageFiles: urls)
            var worst: Float = 0
            defer { print("parity \(name): worst normalised image difference \(worst) over \(images.count) photos") }
            for (index, entry) in images.enumerated() {
                let file = urls[index].lastPathComponent
                let decoded = try ImageDecoder.decode(fileAt: urls[index])
                let pixels = embedder.preprocessor.pixelValues(for: decoded)
                let reference = try XCTUnwrap(entry["pixel_values"] as? [String: Any])
                XCTAssertLessThanOrEqual(maximumDifference(Array(pixels.prefix(16)), floats(reference["first16"])), 1e-5, "\(name): pixels of \(file)")
                let sum = pixels.reduce(0.0) { $0 + Double($1) }
                XCTAssertEqual(sum, (reference["sum"] as? NSNumber)?.doubleValue ?? .nan, accuracy: 1e-2, "\(name): pixel sum of \(file)")
                let vector = try results[index].get()
                let difference = maximumDifference(vector, floats(entry["image_embeds_normalized"]))
                worst = max(worst, difference)
                XCTAssertLessThanOrEqual(difference, Self.imageTolerance, "\(name): image embedding of \(file)")
            }
        }
    }

    func testLogitsMatchTransformers() throws {
        for name in FixturePaths.modelNames {
            let embedder = try CLIPEmbedder.load(directory: FixturePaths.directory(name))
            try assertLogitsMatch(embedder, expected: try FixturePaths.expected(name), model: name) { _, scale in 2e-3 * scale }
        }
    }
}
