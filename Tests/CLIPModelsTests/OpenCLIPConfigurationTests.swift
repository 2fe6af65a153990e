import CLIPModels
import Foundation
import XCTest

/// open_clip's own model_configs (copied into Tests/Fixtures/openclip/configs) parse to the right towers.
final class OpenCLIPConfigurationTests: XCTestCase {
    static let configs = FixturePaths.root.appendingPathComponent("openclip/configs")

    func configuration(_ name: String) throws -> OpenCLIPConfiguration {
        try OpenCLIPConfiguration.load(fileAt: Self.configs.appendingPathComponent("\(name).json"))
    }

    func testOpenAIResNetConfigurationsMatchThePublishedSizes() throws {
        let expected: [String: ResNetConfiguration] = [
            "RN50": .rn50, "RN101": .rn101, "RN50x4": .rn50x4, "RN50x16": .rn50x16, "RN50x64": .rn50x64,
        ]
        for (name, sizes) in expected {
            let configuration = try configuration(name)
            XCTAssertEqual(configuration.image, .resNet(sizes), name)
            XCTAssertFalse(configuration.quickGELU, "\(name): open_clip's plain RN configs use nn.GELU")
        }
    }

    /// Tensor counts and element counts of open_clip's RN50/RN101/RN50x4 `visual` state dicts
    /// (num_batches_tracked excluded), as open_clip 3.3.0 creates them.
    func testResNetSpecificationsCoverOpenCLIPStateDicts() {
        let facts: [(ResNetConfiguration, Int, Int)] = [(.rn50, 284, 38_370_144), (.rn101, 539, 56_365_408), (.rn50x4, 434, 87_246_840)]
        for (configuration, tensors, elements) in facts {
            let specifications = ResNetImageTower.specifications(configuration)
            XCTAssertEqual(specifications.count, tensors, "\(configuration.layers)")
            XCTAssertEqual(specifications.reduce(0) { $0 + $1.shape.reduce(1, *) }, elements, "\(configuration.layers)")
        }
    }

    func testViTConfigurationsAndActivation() throws {
        let base = try configuration("ViT-B-32")
        guard case .visionTransformer(let vision) = base.image else { return XCTFail("ViT-B-32 is a ViT") }
        XCTAssertEqual(vision.patchSize, 32)
        XCTAssertEqual(vision.transformer.headCount, 12)
        XCTAssertEqual(vision.transformer.intermediateSize, 3072)
        XCTAssertEqual(vision.transformer.activation, .gelu)
        XCTAssertEqual(base.text.transformer.activation, .gelu)
        XCTAssertTrue(base.text.poolsAtArgmax)
        let quick = try configuration("ViT-B-16-quickgelu")
        XCTAssertEqual(quick.text.transformer.activation, .quickGELU)
        XCTAssertEqual(quick.imageSize, 224)
    }

    func testUnsupportedArchitecturesAreRefusedByOptionName() {
        for (name, option) in [("ViT-B-16-SigLIP-256", "vision_cfg.timm_model_name"), ("xlm-roberta-base-ViT-B-32", "text_cfg.hf_model_name")] {
            XCTAssertThrowsError(try configuration(name), name) { error in
                XCTAssertTrue("\(error)".contains(option), "\(name): \(error)")
            }
        }
    }

    func testKeyMappingTransposesProjectionsAndSplitsInProjection() {
        XCTAssertEqual(OpenCLIPKeyMapping.mapping(for: "visual_projection.weight").key, "visual.proj")
        XCTAssertEqual(OpenCLIPKeyMapping.mapping(for: "visual_projection.weight").transform, .transposed)
        let key = OpenCLIPKeyMapping.mapping(for: "text_model.encoder.layers.3.self_attn.k_proj.weight")
        XCTAssertEqual(key.key, "transformer.resblocks.3.attn.in_proj_weight")
        XCTAssertEqual(key.transform, .part(1, of: 3))
        XCTAssertEqual(OpenCLIPKeyMapping.mapping(for: "vision_model.encoder.layers.0.mlp.fc2.bias").key,
                       "visual.transformer.resblocks.0.mlp.c_proj.bias")
    }

    func testTokenizerFallsBackToTheBundledVocabulary() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("openclip-tokenizer-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: Self.configs.appendingPathComponent("ViT-B-32.json"),
                                         to: folder.appendingPathComponent("open_clip_config.json"))
        let bundled = FixturePaths.root.appendingPathComponent("tokenizer/clip-bpe")
        let environment = [OpenCLIPFolder.vocabularyEnvironmentVariable: bundled.path]
        XCTAssertEqual(try OpenCLIPFolder.vocabularyDirectory(for: folder, environment: environment).path, bundled.path)
        let tokenizer = try OpenCLIPFolder.tokenizer(directory: folder, environment: environment)
        XCTAssertEqual(tokenizer.vocabularySize, 49408)
        // The genuine vocabulary: <|startoftext|> 49406, "a</w>" 320, "photo</w>" 1125, <|endoftext|> 49407.
        XCTAssertEqual(tokenizer.encode("a photo"), [49406, 320, 1125, 49407])
        // A model folder's own vocabulary wins over the bundled one.
        let tiny = FixturePaths.root.appendingPathComponent("openclip/vit-tiny")
        XCTAssertEqual(try OpenCLIPFolder.vocabularyDirectory(for: tiny, environment: environment).path, tiny.path)
    }
}
