import CLIPModels
import Foundation
import TensorCore
import XCTest

/// Configurations of the public checkpoints parse, and every kind of bad checkpoint is a clear error.
final class CheckpointLoadingTests: XCTestCase {
    var workspace: URL!

    override func setUpWithError() throws {
        workspace = FileManager.default.temporaryDirectory.appendingPathComponent("clipsearch-loading-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: workspace) }

    func testPublicCheckpointConfigurationsParse() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: FixturePaths.configs.path).filter { $0.hasSuffix(".json") }
        XCTAssertGreaterThanOrEqual(files.count, 4)
        var seen: [String: CLIPConfiguration] = [:]
        for file in files {
            seen[file] = try CLIPConfiguration.load(fileAt: FixturePaths.configs.appendingPathComponent(file))
        }
        let base32 = try XCTUnwrap(seen["clip-vit-base-patch32.json"])
        XCTAssertEqual(base32, CLIPConfiguration.vitBase32)
        let large = try XCTUnwrap(seen["clip-vit-large-patch14.json"])
        XCTAssertEqual(large.vision.transformer.hiddenSize, 1024)
        XCTAssertEqual(large.vision.transformer.layerCount, 24)
        XCTAssertEqual(large.vision.patchSize, 14)
        XCTAssertEqual(large.text.transformer.hiddenSize, 768)
        XCTAssertEqual(large.projectionDimension, 768)
        XCTAssertEqual(try XCTUnwrap(seen["clip-vit-large-patch14-336.json"]).vision.imageSize, 336)
        XCTAssertEqual(try XCTUnwrap(seen["clip-vit-base-patch16.json"]).vision.patchCount, 196)
        let laion = try XCTUnwrap(seen["CLIP-ViT-B-32-laion2B-s34B-b79K.json"])
        XCTAssertEqual(laion.vision.transformer.activation, .gelu)
    }

    func testEveryPublicArchitectureBuildsItsParameterList() throws {
        for file in ["clip-vit-large-patch14-336.json", "clip-vit-base-patch16.json"] {
            let configuration = try CLIPConfiguration.load(fileAt: FixturePaths.configs.appendingPathComponent(file))
            let specifications = CLIPModel.specifications(configuration)
            let patch = try XCTUnwrap(specifications.first { $0.name == "vision_model.embeddings.position_embedding.weight" })
            XCTAssertEqual(patch.shape, [configuration.vision.sequenceLength, configuration.vision.transformer.hiddenSize])
            XCTAssertEqual(Set(specifications.map(\.name)).count, specifications.count, "duplicate parameter names")
        }
    }

    /// Copies a fixture model into the workspace so that one file can be damaged.
    func copyOfFixture(_ name: String = "tiny-quickgelu") throws -> URL {
        let destination = workspace.appendingPathComponent(name)
        try FileManager.default.copyItem(at: FixturePaths.models.appendingPathComponent(name), to: destination)
        return destination
    }

    func assertLoadFails(_ directory: URL, containing fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try CLIPModel.load(directory: directory), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), "error should be one line: \(message)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(message.contains(fragment), "'\(message)' should mention '\(fragment)'", file: file, line: line)
            }
        }
    }

    func rewriteConfig(_ directory: URL, _ change: (inout [String: Any]) -> Void) throws {
        let url = directory.appendingPathComponent("config.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        change(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    func testUnsupportedActivationIsNamed() throws {
        let directory = try copyOfFixture()
        try rewriteConfig(directory) { json in
            var vision = json["vision_config"] as! [String: Any]
            vision["hidden_act"] = "swish_glu"
            json["vision_config"] = vision
        }
        assertLoadFails(directory, containing: ["swish_glu", "config.json", "vision_config.hidden_act"])
    }

    func testShapeMismatchNamesTensorAndShapes() throws {
        let directory = try copyOfFixture()
        try rewriteConfig(directory) { json in json["projection_dim"] = 99 }
        assertLoadFails(directory, containing: ["text_projection.weight", "[99, 48]", "model.safetensors"])
    }

    func testMissingTensorIsNamed() throws {
        let directory = try copyOfFixture()
        try rewriteConfig(directory) { json in
            var text = json["text_config"] as! [String: Any]
            text["num_hidden_layers"] = (text["num_hidden_layers"] as! Int) + 1
            json["text_config"] = text
        }
        assertLoadFails(directory, containing: ["missing tensor", "text_model.encoder.layers.2."])
    }

    func testTruncatedSafetensorsIsReported() throws {
        let directory = try copyOfFixture()
        let weights = directory.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: weights)
        try data.prefix(data.count - 1000).write(to: weights)
        assertLoadFails(directory, containing: ["truncated", "model.safetensors"])
    }

    func testMalformedHeadersAreReported() throws {
        let directory = try copyOfFixture()
        let weights = directory.appendingPathComponent("model.safetensors")
        let original = try Data(contentsOf: weights)
        var cases: [(Data, String)] = []
        cases.append((Data([1, 2, 3]), "shorter than"))
        var hugeLength = original
        hugeLength.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Data($0) })
        cases.append((hugeLength, "header length"))
        var notJSON = original
        notJSON.replaceSubrange(8..<12, with: Data("!!!!".utf8))
        cases.append((notJSON, "not a JSON object"))
        for (content, fragment) in cases {
            try content.write(to: weights)
            assertLoadFails(directory, containing: [fragment, "model.safetensors"])
        }
    }

    func testMissingFilesAreNamed() throws {
        let directory = try copyOfFixture()
        try FileManager.default.removeItem(at: directory.appendingPathComponent("model.safetensors"))
        assertLoadFails(directory, containing: ["model.safetensors", "not found"])
        try FileManager.default.removeItem(at: directory.appendingPathComponent("config.json"))
        assertLoadFails(directory, containing: ["config.json", "not found"])
    }

    func testHalfPrecisionAndUnsupportedDataTypes() throws {
        // Rewrite the fixture checkpoint with every tensor in F16 / BF16 (values rounded the same way in
        // the comparison), then with an integer tensor the engine must refuse by name.
        let directory = try copyOfFixture()
        let weights = directory.appendingPathComponent("model.safetensors")
        let reference = try CLIPModel.load(directory: directory)
        for dataType in ["F16", "BF16"] {
            try writeCheckpoint(reference, to: weights, dataType: dataType)
            let loaded = try CLIPModel.load(directory: directory)
            for (name, tensor) in reference.parameters.orderedTensors {
                let rounded = tensor.values.map { dataType == "F16" ? Float(Float16($0)) : Float(bitPattern: bfloat16Bits($0) << 16) }
                XCTAssertEqual(loaded.parameters[name].values, rounded, "\(dataType) \(name)")
            }
        }
        try writeCheckpoint(reference, to: weights, dataType: "I64")
        assertLoadFails(directory, containing: ["unsupported dtype I64"])
    }

    func bfloat16Bits(_ value: Float) -> UInt32 {
        let bits = value.bitPattern
        return (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16  // round to nearest even, as torch does
    }

    func writeCheckpoint(_ model: CLIPModel, to url: URL, dataType: String) throws {
        var header: [String: Any] = [:]
        var body = Data()
        for (name, tensor) in model.parameters.orderedTensors {
            let start = body.count
            for value in tensor.values {
                switch dataType {
                case "F16": withUnsafeBytes(of: Float16(value).bitPattern.littleEndian) { body.append(contentsOf: $0) }
                case "BF16": withUnsafeBytes(of: UInt16(bfloat16Bits(value)).littleEndian) { body.append(contentsOf: $0) }
                default: withUnsafeBytes(of: Int64(value * 1000).littleEndian) { body.append(contentsOf: $0) }
                }
            }
            header[name] = ["dtype": dataType, "shape": tensor.shape, "data_offsets": [start, body.count]]
        }
        let headerData = try JSONSerialization.data(withJSONObject: header)
        var file = withUnsafeBytes(of: UInt64(headerData.count).littleEndian) { Data($0) }
        file.append(headerData)
        file.append(body)
        try file.write(to: url)
    }

    func testRandomModelHasEveryParameterAndFiniteOutputs() throws {
        var configuration = CLIPConfiguration.vitBase32
        configuration.vision.transformer.layerCount = 1
        configuration.text.transformer.layerCount = 1
        let model = try CLIPModel.random(configuration: configuration, seed: 3)
        let pixels = Tensor(shape: [2, 3, 224, 224]) { Float(($0 * 7919) % 255) / 128 - 1 }
        let images = try model.encodeImages(pixelValues: pixels)
        XCTAssertEqual(images.shape, [2, 512])
        XCTAssertTrue(images.values.allSatisfy(\.isFinite))
        XCTAssertNotEqual(images.row(0), images.row(1))
        XCTAssertThrowsError(try model.encodeTexts(tokenIDs: [[49406, 99999, 49407]])) { error in
            XCTAssertTrue("\(error)".contains("99999"))
        }
        XCTAssertThrowsError(try model.encodeImages(pixelValues: Tensor(zeros: [1, 3, 100, 100]))) { error in
            XCTAssertTrue("\(error)".contains("[1, 3, 100, 100]"))
        }
    }
}
