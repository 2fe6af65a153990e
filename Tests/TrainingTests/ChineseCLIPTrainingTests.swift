import CLIPModels
import Foundation
import TensorCore
import XCTest

@testable import Training

/// Chinese-CLIP (ViT + BERT text tower) training beyond the PyTorch parity of GradientParityTests:
/// forward identity with inference, tokenization of the reference captions, freezing, weight decay,
/// and an end-to-end run whose checkpoint loads back in the Hugging Face layout.
final class ChineseCLIPTrainingTests: XCTestCase {
    let modelName = "tiny-cn"
    var directory: URL { TrainingFixtures.chineseModel(modelName) }

    func testTrainingForwardEqualsInferenceAndCaptionsTokenizeLikeTheReference() throws {
        let trainable = try TrainableModel.load(directory: directory)
        guard case .chineseCLIP(let configuration) = trainable.architecture else { return XCTFail("not loaded as Chinese-CLIP") }
        let reference = try ReferenceState(model: modelName)
        let captions = try XCTUnwrap(reference.json["captions"] as? [String])
        let tokenizer = try trainable.tokenizer(directory: directory)
        XCTAssertEqual(captions.map(tokenizer.encode), reference.tokenIDs, "WordPiece ids of the Chinese captions")
        XCTAssertGreaterThan(Set(reference.tokenIDs.map(\.count)).count, 1, "captions of one length would not exercise padding")

        let (images, texts) = try ContrastiveTrainer(model: trainable).embed(pixelValues: reference.pixelValues, tokenIDs: reference.tokenIDs)
        let inference = try ChineseCLIPModel(configuration: configuration, parameters: trainable.parameters, packWeights: false)
        // Unpacked inference runs the same operations in the same order: bit-identical, padded batch included.
        XCTAssertEqual(texts.values, try inference.encodeTexts(tokenIDs: reference.tokenIDs).values)
        XCTAssertEqual(images.values, try inference.encodeImages(pixelValues: reference.pixelValues).values)
        // Each text alone (no padding) gives the same embedding as in the padded batch, to float rounding.
        for (index, ids) in reference.tokenIDs.enumerated() {
            let alone = try inference.encodeTexts(tokenIDs: [ids]).values
            let error = zip(alone, texts.row(index)).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(error, 1e-5 * (alone.map(abs).max() ?? 1), "text \(index) alone vs padded")
        }
        // The default inference model uses packed weights in both towers (another summation order): equal
        // to float rounding.
        let packed = try ChineseCLIPModel(configuration: configuration, parameters: trainable.parameters)
        for (ours, theirs, kind) in [(images, try packed.encodeImages(pixelValues: reference.pixelValues), "images"),
                                     (texts, try packed.encodeTexts(tokenIDs: reference.tokenIDs), "texts")] {
            let scale = theirs.values.map(abs).max() ?? 1
            XCTAssertLessThan(zip(ours.values, theirs.values).map { abs($0 - $1) }.max() ?? 0, 1e-4 * scale, "\(kind) vs packed inference")
        }
    }

    func testFreezingTheTextTowerKeepsVisionGradientsExactly() throws {
        let reference = try ReferenceState(model: modelName)
        func gradients(_ selection: TrainableSelection) throws -> GradientStore {
            let model = try TrainableModel.load(directory: directory)
            let store = GradientStore(mirroring: model.parameters)
            _ = try ContrastiveTrainer(model: model, selection: selection).accumulateGradients(
                pixelValues: reference.pixelValues, tokenIDs: reference.tokenIDs, into: store)
            return store
        }
        let full = try gradients(.all), frozen = try gradients(TrainableSelection(freezeText: true))
        let projections = try gradients(TrainableSelection(projectionsOnly: true))
        for name in full.names {
            let isText = name.hasPrefix("text_model.") || name == "text_projection.weight"
            if isText {
                XCTAssertEqual(frozen.globalNorm(of: [name]), 0, "\(name) should get no gradient with the text tower frozen")
            } else {
                XCTAssertEqual(frozen[name].values, full[name].values, "\(name) changes when the text tower is frozen")
            }
            let isProjection = ["text_projection.weight", "visual_projection.weight", "logit_scale"].contains(name)
            if isProjection {
                XCTAssertEqual(projections[name].values, full[name].values, name)
            } else {
                XCTAssertEqual(projections.globalNorm(of: [name]), 0, "\(name) trains with --train projections")
            }
        }
        XCTAssertGreaterThan(full.globalNorm(of: ["text_model.embeddings.word_embeddings.weight"]), 0)

        // Gradient caching re-runs chunks padded to their own longest caption (chunk 1: no padding at all):
        // the padding mask must make that invisible, up to float rounding.
        for chunk in [1, 3] {
            let model = try TrainableModel.load(directory: directory)
            let cached = GradientStore(mirroring: model.parameters)
            _ = try ContrastiveTrainer(model: model).accumulateGradientsCached(
                pixelValues: reference.pixelValues, tokenIDs: reference.tokenIDs, chunkSize: chunk, into: cached)
            for name in full.names {
                let norm = full.globalNorm(of: [name])
                let difference = zip(cached[name].values, full[name].values).map { abs(Double($0) - Double($1)) }.max() ?? 0
                XCTAssertLessThanOrEqual(difference, 1e-5 * max(norm, 1e-2), "chunk \(chunk): \(name)")
            }
        }
    }

    func testWeightDecaySkipsBERTEmbeddingsGainsAndBiases() {
        let layer = "text_model.encoder.layer.0"
        for name in ["text_model.embeddings.word_embeddings.weight", "text_model.embeddings.position_embeddings.weight",
                     "text_model.embeddings.token_type_embeddings.weight"] {
            XCTAssertFalse(appliesWeightDecay(name, shape: [10, 4]), name)
        }
        XCTAssertFalse(appliesWeightDecay("text_model.embeddings.LayerNorm.weight", shape: [4]))
        XCTAssertFalse(appliesWeightDecay("\(layer).output.dense.bias", shape: [4]))
        XCTAssertFalse(appliesWeightDecay("logit_scale", shape: []))
        XCTAssertTrue(appliesWeightDecay("\(layer).attention.self.query.weight", shape: [4, 4]))
        XCTAssertTrue(appliesWeightDecay("text_projection.weight", shape: [3, 4]))
        XCTAssertTrue(appliesWeightDecay("vision_model.embeddings.patch_embedding.weight", shape: [4, 3, 2, 2]))
    }

    func testTrainingOnChineseCaptionsWritesACheckpointInTheHuggingFaceLayout() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cn-training-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let photos = TrainingFixtures.root.appendingPathComponent("photos")
        let pairs = [("chelsea-rgba.png", "一只猫"), ("coffee-rgb.png", "红色的咖啡"), ("rocket-baseline-420.jpg", "一个火箭"),
                     ("astronaut-progressive.jpg", "一个人在光中拍了一张照片"), ("camera-gray.png", "一个人拍照片"),
                     ("hubble-tiny.jpg", "天上的光"), ("motorcycle-exif2.jpg", "一个人和一只狗"), ("logo-palette4bit.png", "绿色的苹果")]
        let lines = pairs.map { "\(photos.appendingPathComponent($0.0).path)\t\($0.1)" }
        let data = folder.appendingPathComponent("pairs.tsv")
        try lines.joined(separator: "\n").write(to: data, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("out")
        var options = TrainingOptions(modelDirectory: directory, dataFile: data, outputDirectory: out)
        options.batchSize = 3
        options.maximumSteps = 2
        options.heldOutFraction = 0.25
        options.learningRate = 1e-3
        var log: [String] = []
        let summary = try TrainingSession(options: options) { log.append($0) }.run()
        XCTAssertEqual(summary.steps, 2, log.joined(separator: "\n"))
        XCTAssertTrue(summary.lastLoss?.isFinite ?? false)
        XCTAssertEqual(summary.baseline?.pairCount, 2)

        // Same tensor names and shapes as the transformers checkpoint it started from.
        let original = try SafeTensorsFile(fileAt: directory.appendingPathComponent("model.safetensors"))
        let saved = try SafeTensorsFile(fileAt: out.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(Set(saved.entries.keys), Set(original.entries.keys))
        for (key, entry) in original.entries { XCTAssertEqual(saved.entries[key]?.shape, entry.shape, key) }
        for companion in ["config.json", "vocab.txt", "tokenizer_config.json", "preprocessor_config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(companion).path), companion)
        }
        // clip-search loads it as a Chinese-CLIP model; the trained text embedding moved.
        let family = try ModelFamilyLoader.family(of: out)
        XCTAssertEqual(family.name, ChineseCLIPConfiguration.modelType)
        let trained = try ChineseCLIPModel.load(directory: out), fixture = try ChineseCLIPModel.load(directory: directory)
        let ids = try ChineseCLIPModel.tokenizer(directory: out).encode("一只猫")
        let before = try fixture.encodeTexts(tokenIDs: [ids]).values, after = try trained.encodeTexts(tokenIDs: [ids]).values
        XCTAssertGreaterThan(zip(before, after).map { abs($0 - $1) }.max() ?? 0, 1e-4)

        // Resuming continues from the saved step with the saved optimizer state.
        options.resume = true
        options.maximumSteps = 3
        let resumed = try TrainingSession(options: options) { _ in }.run()
        XCTAssertEqual(resumed.steps, 3)
    }
}
