import CLIPModels
import Foundation
import ImageCodecs
import TensorCore
import XCTest

/// OpenCLIP checkpoints (ResNet and ViT image towers) against open_clip's own outputs, written by
/// scripts/fixtures/make_openclip_fixtures.py (see Tests/Fixtures/MANIFEST.md).
final class OpenCLIPParityTests: XCTestCase {
    static let textTolerance: Float = 1e-4
    static let imageTolerance: Float = 1e-3
    static let root = FixturePaths.root.appendingPathComponent("openclip")
    static let modelNames = ["rn-tiny", "vit-tiny"]

    func expected(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Self.root.appendingPathComponent(name).appendingPathComponent("expected.json"))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testFamilyLoaderRecognisesOpenCLIPFolders() throws {
        for name in Self.modelNames {
            let (model, tokenizer) = try ModelFamilyLoader.load(directory: Self.root.appendingPathComponent(name))
            XCTAssertEqual(model.family, "open_clip")
            XCTAssertEqual(tokenizer.contextLength, 77)
        }
        let resNet = try OpenCLIPModel.load(directory: Self.root.appendingPathComponent("rn-tiny"))
        guard case .resNet(let tower) = resNet.imageEncoder else { return XCTFail("rn-tiny should load a ResNet tower") }
        XCTAssertEqual(tower.configuration.layers, [1, 2, 1, 1])
        XCTAssertEqual(resNet.configuration.quickGELU, false)
        let vit = try OpenCLIPModel.load(directory: Self.root.appendingPathComponent("vit-tiny"))
        guard case .visionTransformer = vit.imageEncoder else { return XCTFail("vit-tiny should load a ViT tower") }
        XCTAssertEqual(vit.configuration.quickGELU, true)
    }

    func testTextEmbeddingsMatchOpenCLIP() throws {
        for name in Self.modelNames {
            let directory = Self.root.appendingPathComponent(name)
            let embedder = try CLIPEmbedder.load(directory: directory)
            let reference = try expected(name)
            let texts = try XCTUnwrap(reference["texts"] as? [[String: Any]])
            XCTAssertGreaterThan(texts.count, 5)
            let strings = texts.compactMap { $0["text"] as? String }
            let vectors = try embedder.embed(texts: strings)
            var worst: Float = 0
            for (index, entry) in texts.enumerated() {
                let ids = ((entry["input_ids"] as? [Any]) ?? []).compactMap { ($0 as? NSNumber)?.intValue }
                XCTAssertEqual(embedder.tokenize(strings[index]), ids, "\(name): ids of \(strings[index].debugDescription)")
                let difference = maximumDifference(vectors[index], floats(entry["text_embeds_normalized"]))
                worst = max(worst, difference)
                XCTAssertLessThanOrEqual(difference, Self.textTolerance, "\(name): text \(strings[index].debugDescription)")
            }
            print("openclip parity \(name): worst normalised text difference \(worst) over \(texts.count) texts")
            XCTAssertEqual(embedder.model.logitScale, try XCTUnwrap((reference["logit_scale_exp"] as? NSNumber)?.floatValue), accuracy: 1e-4)
        }
    }

    /// Photos through our decoder and the family's preprocessor, against open_clip's own transform
    /// (torchvision Resize + CenterCrop, which rounds the crop offset half to even where transformers floors it).
    func testImageEmbeddingsMatchOpenCLIPFromPhotos() throws {
        for name in Self.modelNames {
            let embedder = try CLIPEmbedder.load(directory: Self.root.appendingPathComponent(name))
            let images = try XCTUnwrap(try expected(name)["images"] as? [[String: Any]])
            XCTAssertGreaterThan(images.count, 5)
            let urls = images.compactMap { $0["file"] as? String }.map { FixturePaths.photos.appendingPathComponent($0) }
            let results = embedder.embed(imageFiles: urls)
            var worst: Float = 0, offsetsDiffer = 0
            for (index, entry) in images.enumerated() {
                let file = urls[index].lastPathComponent
                let vector = try results[index].get()
                if entry["transform_matches_transformers"] as? Bool == false { offsetsDiffer += 1 }
                let pixels = embedder.preprocessor.pixelValues(for: try ImageDecoder.decode(fileAt: urls[index]))
                let reference = try XCTUnwrap(entry["pixel_values"] as? [String: Any])
                XCTAssertLessThanOrEqual(maximumDifference(Array(pixels.prefix(16)), floats(reference["first16"])), 1e-5, "\(name): pixels of \(file)")
                XCTAssertEqual(pixels.reduce(0.0) { $0 + Double($1) }, (reference["sum"] as? NSNumber)?.doubleValue ?? .nan,
                               accuracy: 1e-2, "\(name): pixel sum of \(file)")
                let difference = maximumDifference(vector, floats(entry["image_embeds_normalized"]))
                worst = max(worst, difference)
                XCTAssertLessThanOrEqual(difference, Self.imageTolerance, "\(name): open_clip embedding of \(file)")
            }
            // The fixture photos must include crops where torchvision and transformers disagree.
            XCTAssertGreaterThan(offsetsDiffer, 0)
            print("openclip parity \(name): worst normalised image difference \(worst) over \(images.count) photos")
        }
    }

    /// The same pixel tensor into both weight files: isolates the towers from preprocessing and decoding.
    func testFormulaImageMatchesOpenCLIPWithEitherWeightFile() throws {
        for name in Self.modelNames {
            let directory = Self.root.appendingPathComponent(name)
            let reference = try XCTUnwrap(try expected(name)["formula_image"] as? [String: Any])
            let expectedRaw = floats(reference["image_embeds"])
            var outputs: [[Float]] = []
            for file in OpenCLIPModel.weightFileNames {
                let model = try OpenCLIPModel.load(directory: directory, weightsFileName: file)
                let side = model.imageSize
                let pixels = Tensor(shape: [1, 3, side, side]) { index in
                    let column = index % side, row = (index / side) % side, channel = index / (side * side)
                    return Float((channel * 7 + row * 3 + column * 5) % 17) / 8 - 1
                }
                let raw = try model.encodeImages(pixelValues: pixels).row(0)
                let difference = maximumDifference(raw, expectedRaw)
                print("openclip parity \(name) \(file): formula image raw difference \(difference)")
                XCTAssertLessThanOrEqual(difference, Self.imageTolerance, "\(name) \(file): formula image")
                outputs.append(raw)
            }
            XCTAssertEqual(outputs[0], outputs[1], "\(name): safetensors and .bin must hold identical weights")
        }
    }

    func testBatchedImagesMatchSingleImages() throws {
        let model = try OpenCLIPModel.load(directory: Self.root.appendingPathComponent("rn-tiny"))
        let side = model.imageSize
        var generator = SeededGenerator(seed: 11)
        let batch = Tensor(shape: [3, 3, side, side]) { _ in generator.nextNormal() }
        let together = try model.encodeImages(pixelValues: batch)
        for index in 0..<3 {
            let alone = try model.encodeImages(pixelValues: batch.rows(index, count: 1).copy())
            XCTAssertLessThanOrEqual(maximumDifference(alone.row(0), together.row(index)), 1e-5)
        }
    }
}
