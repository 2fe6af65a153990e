import Foundation
import TensorCore

/// An OpenCLIP checkpoint (`open_clip_config.json` + `open_clip_model.safetensors` or
/// `open_clip_pytorch_model.bin`) on ClipSearch's towers: a ViT image tower and the text tower reuse
/// the Hugging Face CLIP implementations (OpenCLIP names are mapped onto theirs by `OpenCLIPKeyMapping`);
/// ResNet image towers run on `ResNetImageTower`.
public final class OpenCLIPModel: Sendable {
    public enum ImageEncoder: Sendable {
        case visionTransformer(VisionTransformer)
        case resNet(ResNetImageTower)
    }

    public static let configurationFileName = "open_clip_config.json"
    /// Weight files in order of preference.
    public static let weightFileNames = ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]

    public let configuration: OpenCLIPConfiguration
    public let imageEncoder: ImageEncoder
    public let text: TextTransformer
    public let logitScale: Float
    /// The weight file the model was read from.
    public let weightsPath: String

    init(configuration: OpenCLIPConfiguration, source: any CheckpointTensorSource) throws {
        do { try BLAS.ensureLoaded() } catch { throw ModelError.backend("\(error)") }
        self.configuration = configuration
        weightsPath = source.path
        let embed = configuration.embedDimension
        var specifications = TextTransformer.specifications(configuration.text, projectionDimension: embed)
        var fusedGroups = TransformerEncoder.fusedGroups(prefix: "text_model.encoder", configuration.text.transformer)
        if case .visionTransformer(let vision) = configuration.image {
            specifications += VisionTransformer.specifications(vision, projectionDimension: embed)
            fusedGroups += TransformerEncoder.fusedGroups(prefix: "vision_model.encoder", vision.transformer)
        }
        specifications.append(ParameterSpecification("logit_scale", []))
        let parameters = try OpenCLIPKeyMapping.load(source: source, specifications: specifications, fusedGroups: fusedGroups)
        text = TextTransformer(configuration: configuration.text, parameters: parameters, packWeights: true)
        logitScale = min(exp(parameters["logit_scale"].pointer[0]), 100)
        switch configuration.image {
        case .visionTransformer(let vision):
            imageEncoder = .visionTransformer(VisionTransformer(configuration: vision, parameters: parameters, packWeights: true))
        case .resNet(let resNet):
            let shapes = Dictionary(uniqueKeysWithValues: ResNetImageTower.specifications(resNet).map { ($0.name, $0.shape) })
            imageEncoder = .resNet(try ResNetImageTower(configuration: resNet) { name in
                try OpenCLIPKeyMapping.read(source: source, key: "visual." + name, shape: shapes[name] ?? [])
            })
        }
    }

    /// Loads an OpenCLIP folder (configuration and weights; the tokenizer is `OpenCLIPFolder.tokenizer`).
    /// - Parameter weightsFileName: one of `weightFileNames`; nil takes the first present.
    public static func load(directory: URL, weightsFileName: String? = nil) throws -> OpenCLIPModel {
        let configuration = try OpenCLIPConfiguration.load(fileAt: directory.appendingPathComponent(configurationFileName))
        return try OpenCLIPModel(configuration: configuration, source: try openWeights(directory: directory, fileName: weightsFileName))
    }

    /// The weight file (the first present when `fileName` is nil), opened by its format.
    public static func openWeights(directory: URL, fileName: String? = nil) throws -> any CheckpointTensorSource {
        for name in fileName.map({ [$0] }) ?? weightFileNames {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            return url.pathExtension == "safetensors" ? try SafeTensorsFile(fileAt: url) : try PyTorchCheckpoint(fileAt: url)
        }
        throw ModelError.fileMissing(path: directory.appendingPathComponent(weightFileNames.joined(separator: " or ")).path)
    }

    public func encodeImages(pixelValues: Tensor) throws -> Tensor {
        switch imageEncoder {
        case .visionTransformer(let vision): return try vision.forward(pixelValues: pixelValues)
        case .resNet(let resNet): return try resNet.forward(pixelValues: pixelValues)
        }
    }

    public func encodeTexts(tokenIDs: [[Int]]) throws -> Tensor {
        try text.forward(tokenIDs: tokenIDs)
    }
}

extension OpenCLIPModel: EmbeddingModel {
    public var family: String { "open_clip" }
    public var projectionDimension: Int { configuration.embedDimension }
    public var imageSize: Int { configuration.imageSize }
    public var maximumTextPositions: Int { configuration.text.maximumPositions }
}

/// The sanitize step: which OpenCLIP tensor (and how) fills each Hugging Face-named parameter.
public enum OpenCLIPKeyMapping {
    public enum Transform: Equatable, Sendable {
        case direct
        /// OpenCLIP stores projections as [width, embed]; Hugging Face as [embed, width].
        case transposed
        /// One third of a fused `in_proj_weight` / `in_proj_bias` (0: q, 1: k, 2: v).
        case part(Int, of: Int)
    }

    /// The OpenCLIP key and transform for a Hugging Face CLIP parameter name.
    public static func mapping(for name: String) -> (key: String, transform: Transform) {
        var key = name
        var transform = Transform.direct
        let exact: [String: (String, Transform)] = [
            "text_model.embeddings.token_embedding.weight": ("token_embedding.weight", .direct),
            "text_model.embeddings.position_embedding.weight": ("positional_embedding", .direct),
            "text_model.final_layer_norm.weight": ("ln_final.weight", .direct),
            "text_model.final_layer_norm.bias": ("ln_final.bias", .direct),
            "text_projection.weight": ("text_projection", .transposed),
            "vision_model.embeddings.class_embedding": ("visual.class_embedding", .direct),
            "vision_model.embeddings.patch_embedding.weight": ("visual.conv1.weight", .direct),
            "vision_model.embeddings.position_embedding.weight": ("visual.positional_embedding", .direct),
            "vision_model.pre_layrnorm.weight": ("visual.ln_pre.weight", .direct),
            "vision_model.pre_layrnorm.bias": ("visual.ln_pre.bias", .direct),
            "vision_model.post_layernorm.weight": ("visual.ln_post.weight", .direct),
            "vision_model.post_layernorm.bias": ("visual.ln_post.bias", .direct),
            "visual_projection.weight": ("visual.proj", .transposed),
        ]
        if let (mapped, kind) = exact[name] { return (mapped, kind) }
        key = key.replacingOccurrences(of: "text_model.encoder.layers.", with: "transformer.resblocks.")
            .replacingOccurrences(of: "vision_model.encoder.layers.", with: "visual.transformer.resblocks.")
        for (index, projection) in ["q_proj", "k_proj", "v_proj"].enumerated() where key.contains(".self_attn.\(projection).") {
            key = key.replacingOccurrences(of: ".self_attn.\(projection).", with: ".attn.in_proj_")
            transform = .part(index, of: 3)
        }
        key = key.replacingOccurrences(of: ".self_attn.out_proj.", with: ".attn.out_proj.")
            .replacingOccurrences(of: ".layer_norm1.", with: ".ln_1.").replacingOccurrences(of: ".layer_norm2.", with: ".ln_2.")
            .replacingOccurrences(of: ".mlp.fc1.", with: ".mlp.c_fc.").replacingOccurrences(of: ".mlp.fc2.", with: ".mlp.c_proj.")
        return (key, transform)
    }

    /// Checkpoint key as stored: some exports prefix every key (e.g. "module." is stripped by the .bin reader).
    static func stored(_ key: String, in shapes: [String: [Int]]) -> String {
        if shapes[key] != nil { return key }
        for prefix in ["model.", "clip.", "module."] where shapes[prefix + key] != nil { return prefix + key }
        return key
    }

    /// A tensor by OpenCLIP key, checked against the expected shape (size-1 dimensions may differ).
    static func read(source: any CheckpointTensorSource, key: String, shape: [Int]) throws -> Tensor {
        let shapes = source.tensorShapes
        let storedKey = stored(key, in: shapes)
        guard let actual = shapes[storedKey] else { throw ModelError.missingTensor(path: source.path, tensor: key) }
        guard actual.reduce(1, *) == shape.reduce(1, *), actual.filter({ $0 != 1 }) == shape.filter({ $0 != 1 }) else {
            throw ModelError.shapeMismatch(path: source.path, tensor: storedKey, expected: shape, actual: actual)
        }
        let tensor = Tensor(uninitializedShape: shape)
        try source.readFloats(named: storedKey, into: tensor.pointer)
        return tensor
    }

    /// Fills a parameter store with Hugging Face names from an OpenCLIP checkpoint.
    static func load(source: any CheckpointTensorSource, specifications: [ParameterSpecification],
                     fusedGroups: [[String]]) throws -> ParameterStore {
        let store = ParameterStore(specifications: specifications, fusedGroups: fusedGroups)
        for specification in specifications {
            let (key, transform) = mapping(for: specification.name)
            let target = store[specification.name]
            let shape = specification.shape
            switch transform {
            case .direct:
                target.copy(from: try read(source: source, key: key, shape: shape))
            case .transposed:
                let stored = try read(source: source, key: key, shape: [shape[1], shape[0]])
                for row in 0..<shape[0] {
                    for column in 0..<shape[1] { target.pointer[row * shape[1] + column] = stored.pointer[column * shape[0] + row] }
                }
            case .part(let index, let count):
                let fused = try read(source: source, key: key, shape: [count * shape[0]] + shape.dropFirst())
                target.pointer.update(from: fused.pointer + index * target.count, count: target.count)
            }
        }
        return store
    }
}
