import CLIPModels
import Foundation
import ImageCodecs
import TensorCore
import Tokenizers
import XCTest

/// Chinese-CLIP against transformers' ChineseCLIPModel on the random-weight folders that
/// scripts/fixtures/make_chinese_clip_fixtures.py wrote (Tests/Fixtures/chinese-clip/models, see MANIFEST.md).
final class ChineseCLIPParityTests: XCTestCase {
    static let textTolerance: Float = 1e-4
    static let imageTolerance: Float = 1e-3
    static let models = FixturePaths.root.appendingPathComponent("chinese-clip").appendingPathComponent("models")
    static let names = ["tiny-cn", "tiny-cn-b"]

    static func expected(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: models.appendingPathComponent(name).appendingPathComponent("expected.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    func testFolderLoadsThroughTheFamilyRegistry() throws {
        for name in Self.names {
            let directory = Self.models.appendingPathComponent(name)
            let (model, tokenizer) = try ModelFamilyLoader.load(directory: directory)
            XCTAssertEqual(model.family, "chinese_clip")
            XCTAssertTrue(model is ChineseCLIPModel)
            XCTAssertTrue(tokenizer is WordPieceTokenizer)
            let expected = try Self.expected(name)
            XCTAssertEqual(tokenizer.contextLength, (expected["context_length"] as? NSNumber)?.intValue)
            let embedder = try CLIPEmbedder.load(directory: directory)
            XCTAssertNotNil(embedder.preprocessor.fixedSize, "\(name): Chinese-CLIP resizes to a fixed size")
        }
    }

    func testTokenIDsAndTextEmbeddingsMatchTransformers() throws {
        for name in Self.names {
            let embedder = try CLIPEmbedder.load(directory: Self.models.appendingPathComponent(name))
            let texts = try XCTUnwrap(try Self.expected(name)["texts"] as? [[String: Any]])
            XCTAssertGreaterThan(texts.count, 5)
            let strings = texts.compactMap { $0["text"] as? String }
            let vectors = try embedder.embed(texts: strings)
            let raw = try embedder.model.encodeTexts(tokenIDs: strings.map(embedder.tokenize))
            var worst: Float = 0
            for (index, entry) in texts.enumerated() {
                let ids = ((entry["input_ids"] as? [Any]) ?? []).compactMap { ($0 as? NSNumber)?.intValue }
                XCTAssertEqual(embedder.tokenize(strings[index]), ids, "\(name): token ids of \(strings[index].debugDescription)")
                let difference = maximumDifference(vectors[index], floats(entry["text_embeds_normalized"]))
                worst = max(worst, difference)
                XCTAssertLessThanOrEqual(difference, Self.textTolerance, "\(name): normalised embedding of \(strings[index].debugDescription)")
                XCTAssertLessThanOrEqual(maximumDifference(raw.row(index), floats(entry["text_embeds"])), Self.textTolerance,
                                         "\(name): raw embedding of \(strings[index].debugDescription)")
            }
            print("chinese-clip parity \(name): worst normalised text difference \(worst) over \(texts.count) texts")
        }
    }

    func testSingleTextsEqualTheirPaddedBatch() throws {
        let embedder = try CLIPEmbedder.load(directory: Self.models.appendingPathComponent("tiny-cn"))
        let ids = ["一只猫", "a photo of a dog running on the grass", "红色的苹果"].map(embedder.tokenize)
        let batch = try embedder.model.encodeTexts(tokenIDs: ids)
        for (index, sequence) in ids.enumerated() {
            let alone = try embedder.model.encodeTexts(tokenIDs: [sequence])
            XCTAssertLessThanOrEqual(maximumDifference(alone.row(0), batch.row(index)), 1e-5)
        }
    }

    func testImageEmbeddingsMatchTransformers() throws {
        var pixelMismatches: [String] = []
        defer {
            XCTAssertEqual(pixelMismatches, [], "pixel values differ from transformers")
        }
        for name in Self.names {
            let embedder = try CLIPEmbedder.load(directory: Self.models.appendingPathComponent(name))
            let images = try XCTUnwrap(try Self.expected(name)["images"] as? [[String: Any]])
            XCTAssertGreaterThan(images.count, 5)
            let urls = images.compactMap { $0["file"] as? String }.map { FixturePaths.photos.appendingPathComponent($0) }
            let results = embedder.embed(imageFiles: urls)
            var worst: Float = 0
            for (index, entry) in images.enumerated() {
                let file = urls[index].lastPathComponent
                let pixels = embedder.preprocessor.pixelValues(for: try ImageDecoder.decode(fileAt: urls[index]))
                let reference = try XCTUnwrap(entry["pixel_values"] as? [String: Any])
                let sum = pixels.reduce(0.0) { $0 + Double($1) }
                let pixelsMatch = maximumDifference(Array(pixels.prefix(16)), floats(reference["first16"])) <= 1e-5
                    && abs(sum - ((reference["sum"] as? NSNumber)?.doubleValue ?? .nan)) <= 1e-2
                if !pixelsMatch { pixelMismatches.append("\(name)/\(file)") }
                let difference = maximumDifference(try results[index].get(), floats(entry["image_embeds_normalized"]))
                worst = max(worst, difference)
                XCTAssertLessThanOrEqual(difference, Self.imageTolerance, "\(name): image embedding of \(file)")
            }
            print("chinese-clip parity \(name): worst normalised image difference \(worst) over \(images.count) photos")
        }
    }

    func testLogitsMatchTransformers() throws {
        for name in Self.names {
            let embedder = try CLIPEmbedder.load(directory: Self.models.appendingPathComponent(name))
            try assertLogitsMatch(embedder, expected: try Self.expected(name), model: name) { logit, _ in 0.05 + abs(logit) * 2e-3 }
        }
    }

    /// The OFA-Sys repositories' style: fixed {height, width} resize, integer crop_size, no center crop.
    func testFixedSizePreprocessorConfigResizesWithoutKeepingAspect() throws {
        let json = #"{"size": {"height": 40, "width": 40}, "crop_size": 40, "do_center_crop": false, "resample": 3}"#
        let preprocessor = try CLIPImagePreprocessor(preprocessorConfigData: Data(json.utf8), name: "preprocessor_config.json")
        XCTAssertEqual(preprocessor.fixedSize, FixedImageSize(height: 40, width: 40))
        XCTAssertTrue(preprocessor.outputSize(width: 300, height: 100) == (40, 40))
        let image = try ImageDecoder.decode(fileAt: FixturePaths.photos.appendingPathComponent("camera-gray.png"))
        XCTAssertNotEqual(image.width, image.height)
        XCTAssertEqual(preprocessor.pixelValues(for: image).count, 3 * 40 * 40)
        XCTAssertEqual(CLIPImagePreprocessor.squareResize(side: 40).outputSize(width: 300, height: 100).width, 40)
    }

    func testConfigurationDefaultsAndErrors() throws {
        let configuration = try ChineseCLIPConfiguration(json: ["model_type": "chinese_clip"], path: "config.json")
        XCTAssertEqual(configuration.text.vocabularySize, 30522)
        XCTAssertEqual(configuration.text.transformer.layerNormEpsilon, 1e-12)
        XCTAssertEqual(configuration.text.transformer.activation, .gelu)
        XCTAssertEqual(configuration.text.tokenTypeCount, 2)
        XCTAssertEqual(configuration.vision.transformer.activation, .quickGELU)
        XCTAssertEqual(configuration.vision.patchSize, 32)
        XCTAssertThrowsError(try ChineseCLIPConfiguration(json: ["model_type": "clip"], path: "c.json")) { error in
            XCTAssertTrue("\(error)".contains("c.json"), "\(error)")
        }
        XCTAssertThrowsError(try ChineseCLIPConfiguration(
            json: ["model_type": "chinese_clip", "text_config": ["position_embedding_type": "relative_key"]], path: "c.json"))
        XCTAssertThrowsError(try ChineseCLIPConfiguration(
            json: ["model_type": "chinese_clip", "text_config": ["hidden_size": 30, "num_attention_heads": 4]], path: "c.json"))
    }

    func testMissingOrMisshapenWeightsThrowWithTheirNames() throws {
        let source = Self.models.appendingPathComponent("tiny-cn")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cn-clip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in ["config.json", "vocab.txt", "tokenizer_config.json", "preprocessor_config.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
        XCTAssertThrowsError(try ChineseCLIPModel.load(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("model.safetensors"), "\(error)")
        }
        // A checkpoint of a different configuration: every tensor present under other shapes.
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
        var text = json["text_config"] as? [String: Any] ?? [:]
        text["intermediate_size"] = 72
        json["text_config"] = text
        try JSONSerialization.data(withJSONObject: json).write(to: folder.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"), to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try ChineseCLIPModel.load(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains("intermediate.dense.weight"), "\(error)")
        }
    }

    func testOutOfVocabularyIDsAndOverlongTextsThrow() throws {
        let model = try ChineseCLIPModel.load(directory: Self.models.appendingPathComponent("tiny-cn-b"))
        XCTAssertThrowsError(try model.encodeTexts(tokenIDs: [[101, 999_999, 102]]))
        XCTAssertThrowsError(try model.encodeTexts(tokenIDs: [[]]))
        XCTAssertThrowsError(try model.encodeTexts(tokenIDs: [Array(repeating: 101, count: model.maximumTextPositions + 1)]))
    }
}
