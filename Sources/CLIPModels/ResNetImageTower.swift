import Foundation
import TensorCore

/// Sizes of OpenAI's ModifiedResNet as OpenCLIP configures it (`vision_cfg.layers` is a list).
public struct ResNetConfiguration: Sendable, Equatable {
    /// Bottleneck blocks per stage (RN50: [3, 4, 6, 3]).
    public var layers: [Int]
    /// Stem width; stage i has width · 2^i planes and 4× that many output channels.
    public var width: Int
    public var imageSize: Int
    public var headCount: Int
    public var outputDimension: Int

    public init(layers: [Int], width: Int, imageSize: Int, headCount: Int, outputDimension: Int) {
        self.layers = layers
        self.width = width
        self.imageSize = imageSize
        self.headCount = headCount
        self.outputDimension = outputDimension
    }

    /// Channels entering the attention pool.
    public var featureWidth: Int { width * 32 }
    /// Side of the last feature map (the image is downsampled 32×).
    public var featureSide: Int { imageSize / 32 }

    /// OpenAI's published sizes (open_clip/model_configs/RN*.json).
    public static let rn50 = ResNetConfiguration(layers: [3, 4, 6, 3], width: 64, imageSize: 224, headCount: 32, outputDimension: 1024)
    public static let rn101 = ResNetConfiguration(layers: [3, 4, 23, 3], width: 64, imageSize: 224, headCount: 32, outputDimension: 512)
    public static let rn50x4 = ResNetConfiguration(layers: [4, 6, 10, 6], width: 80, imageSize: 288, headCount: 40, outputDimension: 640)
    public static let rn50x16 = ResNetConfiguration(layers: [6, 8, 18, 8], width: 96, imageSize: 384, headCount: 48, outputDimension: 768)
    public static let rn50x64 = ResNetConfiguration(layers: [3, 15, 36, 10], width: 128, imageSize: 448, headCount: 64, outputDimension: 1024)
}

/// A convolution with its BatchNorm folded in (eval mode): w' = w·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε).
struct ResNetConvolution {
    let weight: Tensor  // [out, in · k · k]
    let bias: Tensor  // [out]
    let kernel: Int
    let stride: Int
    let padding: Int

    func callAsFunction(_ input: Tensor, relu: Bool) -> Tensor {
        Convolution.convolve(input, weight: weight, bias: bias, kernel: kernel, stride: stride, padding: padding, relu: relu)
    }
}

struct ResNetBottleneck {
    let first: ResNetConvolution, second: ResNetConvolution, third: ResNetConvolution
    let downsample: ResNetConvolution?
    let stride: Int

    func callAsFunction(_ input: Tensor) -> Tensor {
        var hidden = second(first(input, relu: true), relu: true)
        if stride > 1 { hidden = Convolution.averagePool(hidden, kernel: stride) }
        let output = third(hidden, relu: false)
        var identity = input
        if let downsample {
            identity = downsample(stride > 1 ? Convolution.averagePool(input, kernel: stride) : input, relu: false)
        }
        Convolution.addReLUInPlace(output, identity)
        return output
    }
}

/// OpenAI's ModifiedResNet image tower (`visual.*` in OpenCLIP checkpoints): a three-convolution stem
/// with average pooling, anti-aliased strided bottlenecks (average pooling before the strided path and
/// in the downsample branch) and a multi-head attention pool whose query is the mean feature.
public struct ResNetImageTower: Sendable {
    public let configuration: ResNetConfiguration
    let stem: [ResNetConvolution]
    let stages: [[ResNetBottleneck]]
    let positionalEmbedding: Tensor  // [side² + 1, featureWidth]
    let queryWeight: Tensor, queryBias: Tensor
    let keyValueWeight: Tensor, keyValueBias: Tensor  // k_proj and v_proj stacked: one GEMM
    let outputWeight: Tensor, outputBias: Tensor  // c_proj

    /// Every tensor the tower reads, by OpenCLIP name (without the "visual." prefix), with its shape.
    public static func specifications(_ configuration: ResNetConfiguration) -> [ParameterSpecification] {
        var result: [ParameterSpecification] = []
        func convolution(_ name: String, _ batchNorm: String, out: Int, in input: Int, kernel: Int) {
            result.append(.init("\(name).weight", [out, input, kernel, kernel]))
            for field in ["weight", "bias", "running_mean", "running_var"] { result.append(.init("\(batchNorm).\(field)", [out])) }
        }
        let width = configuration.width
        convolution("conv1", "bn1", out: width / 2, in: 3, kernel: 3)
        convolution("conv2", "bn2", out: width / 2, in: width / 2, kernel: 3)
        convolution("conv3", "bn3", out: width, in: width / 2, kernel: 3)
        var inPlanes = width
        for (stage, blocks) in configuration.layers.enumerated() {
            let planes = width << stage
            for block in 0..<blocks {
                let prefix = "layer\(stage + 1).\(block)"
                let stride = block == 0 && stage > 0 ? 2 : 1
                convolution("\(prefix).conv1", "\(prefix).bn1", out: planes, in: inPlanes, kernel: 1)
                convolution("\(prefix).conv2", "\(prefix).bn2", out: planes, in: planes, kernel: 3)
                convolution("\(prefix).conv3", "\(prefix).bn3", out: planes * 4, in: planes, kernel: 1)
                if stride > 1 || inPlanes != planes * 4 {
                    convolution("\(prefix).downsample.0", "\(prefix).downsample.1", out: planes * 4, in: inPlanes, kernel: 1)
                }
                inPlanes = planes * 4
            }
        }
        let feature = configuration.featureWidth
        result.append(.init("attnpool.positional_embedding", [configuration.featureSide * configuration.featureSide + 1, feature]))
        for projection in ["q_proj", "k_proj", "v_proj"] {
            result += [.init("attnpool.\(projection).weight", [feature, feature]), .init("attnpool.\(projection).bias", [feature])]
        }
        result += [.init("attnpool.c_proj.weight", [configuration.outputDimension, feature]),
                   .init("attnpool.c_proj.bias", [configuration.outputDimension])]
        return result
    }

    /// Builds the tower from tensors by specification name (shapes already checked by the caller).
    /// - Parameter batchNormEpsilon: PyTorch's BatchNorm2d default.
    public init(configuration: ResNetConfiguration, batchNormEpsilon: Float = 1e-5, tensor: (String) throws -> Tensor) throws {
        guard configuration.layers.count == 4, configuration.layers.allSatisfy({ $0 >= 1 }) else {
            throw ModelError.invalidInput("ResNet layers \(configuration.layers): expected four positive block counts")
        }
        guard configuration.imageSize % 32 == 0, configuration.width % 2 == 0,
              configuration.headCount > 0, configuration.featureWidth % configuration.headCount == 0 else {
            throw ModelError.invalidInput(
                "ResNet image size \(configuration.imageSize) must be a multiple of 32 and width·32 = \(configuration.featureWidth) divisible by \(configuration.headCount) heads")
        }
        self.configuration = configuration
        func folded(_ name: String, _ batchNorm: String, kernel: Int, stride: Int = 1) throws -> ResNetConvolution {
            let weight = try tensor("\(name).weight")
            let gamma = try tensor("\(batchNorm).weight"), beta = try tensor("\(batchNorm).bias")
            let mean = try tensor("\(batchNorm).running_mean"), variance = try tensor("\(batchNorm).running_var")
            let outChannels = weight.shape[0], depth = weight.count / outChannels
            let foldedWeight = Tensor(uninitializedShape: [outChannels, depth])
            let bias = Tensor(uninitializedShape: [outChannels])
            for channel in 0..<outChannels {
                let scale = gamma.pointer[channel] / (variance.pointer[channel] + batchNormEpsilon).squareRoot()
                let source = weight.pointer + channel * depth, target = foldedWeight.pointer + channel * depth
                for index in 0..<depth { target[index] = source[index] * scale }
                bias.pointer[channel] = beta.pointer[channel] - mean.pointer[channel] * scale
            }
            return ResNetConvolution(weight: foldedWeight, bias: bias, kernel: kernel, stride: stride, padding: kernel / 2)
        }
        stem = [try folded("conv1", "bn1", kernel: 3, stride: 2), try folded("conv2", "bn2", kernel: 3), try folded("conv3", "bn3", kernel: 3)]
        var inPlanes = configuration.width
        var stages: [[ResNetBottleneck]] = []
        for (stage, blocks) in configuration.layers.enumerated() {
            let planes = configuration.width << stage
            var stageBlocks: [ResNetBottleneck] = []
            for block in 0..<blocks {
                let prefix = "layer\(stage + 1).\(block)"
                let stride = block == 0 && stage > 0 ? 2 : 1
                let downsample = stride > 1 || inPlanes != planes * 4
                    ? try folded("\(prefix).downsample.0", "\(prefix).downsample.1", kernel: 1) : nil
                stageBlocks.append(ResNetBottleneck(
                    first: try folded("\(prefix).conv1", "\(prefix).bn1", kernel: 1),
                    second: try folded("\(prefix).conv2", "\(prefix).bn2", kernel: 3),
                    third: try folded("\(prefix).conv3", "\(prefix).bn3", kernel: 1),
                    downsample: downsample, stride: stride))
                inPlanes = planes * 4
            }
            stages.append(stageBlocks)
        }
        self.stages = stages
        positionalEmbedding = try tensor("attnpool.positional_embedding")
        queryWeight = try tensor("attnpool.q_proj.weight")
        queryBias = try tensor("attnpool.q_proj.bias")
        let feature = configuration.featureWidth
        keyValueWeight = Tensor(uninitializedShape: [2 * feature, feature])
        keyValueBias = Tensor(uninitializedShape: [2 * feature])
        // k_proj and v_proj stacked into one matrix (views keep the stacked storage alive).
        keyValueWeight.rows(0, count: feature).copy(from: try tensor("attnpool.k_proj.weight"))
        keyValueWeight.rows(feature, count: feature).copy(from: try tensor("attnpool.v_proj.weight"))
        keyValueBias.rows(0, count: feature).copy(from: try tensor("attnpool.k_proj.bias"))
        keyValueBias.rows(feature, count: feature).copy(from: try tensor("attnpool.v_proj.bias"))
        outputWeight = try tensor("attnpool.c_proj.weight")
        outputBias = try tensor("attnpool.c_proj.bias")
    }

    /// Image embeddings (projected, not normalised) for pixel values [batch, 3, size, size].
    /// - Parameter observer: sees the stem output and each stage's output, channel-major (for debugging).
    public func forward(pixelValues: Tensor, observer: ((String, Tensor) -> Void)? = nil) throws -> Tensor {
        let side = configuration.imageSize
        guard pixelValues.rank == 4, pixelValues.shape[1] == 3, pixelValues.shape[2] == side, pixelValues.shape[3] == side else {
            throw ModelError.invalidInput("pixel values have shape \(pixelValues.shape), expected [batch, 3, \(side), \(side)]")
        }
        var hidden = Convolution.channelMajor(pixelValues)
        for convolution in stem { hidden = convolution(hidden, relu: true) }
        hidden = Convolution.averagePool(hidden, kernel: 2)
        observer?("stem", hidden)
        for (index, stage) in stages.enumerated() {
            for block in stage { hidden = block(hidden) }
            observer?("layer\(index + 1)", hidden)
        }
        return attentionPool(hidden)
    }

    /// OpenCLIP's AttentionPool2d. Only the mean token's output is used, so only its query is computed.
    func attentionPool(_ features: Tensor) -> Tensor {
        let channels = features.shape[0], batch = features.shape[1]
        let plane = features.shape[2] * features.shape[3]
        let sequence = plane + 1
        // Tokens [batch · sequence, channels]: the spatial mean first, then each position, plus positions.
        let tokens = Tensor(uninitializedShape: [batch * sequence, channels])
        let source = features.pointer, target = tokens.pointer, positions = positionalEmbedding.pointer
        Parallel.forRanges(count: channels, minimumPerThread: 64) { start, end in
            for channel in start..<end {
                for image in 0..<batch {
                    let values = source + (channel * batch + image) * plane
                    let row = target + image * sequence * channels + channel
                    var sum: Float = 0
                    for index in 0..<plane {
                        sum += values[index]
                        row[(index + 1) * channels] = values[index] + positions[(index + 1) * channels + channel]
                    }
                    row[0] = sum / Float(plane) + positions[channel]
                }
            }
        }
        let keysValues = Operations.linear(tokens, weight: keyValueWeight, bias: keyValueBias)
        let meanTokens = Tensor(uninitializedShape: [batch, channels])
        for image in 0..<batch {
            (meanTokens.pointer + image * channels).update(from: tokens.pointer + image * sequence * channels, count: channels)
        }
        let queries = Operations.linear(meanTokens, weight: queryWeight, bias: queryBias)
        let heads = configuration.headCount, headDimension = channels / heads
        let scale = 1 / Float(headDimension).squareRoot()
        let attended = Tensor(uninitializedShape: [batch, channels])
        let keyValuePointer = keysValues.pointer, queryPointer = queries.pointer, output = attended.pointer
        // The raw pointers below read `keysValues` and `queries`: keep both alive through the loop.
        defer { withExtendedLifetime((keysValues, queries)) {} }
        Parallel.forRanges(count: batch * heads, minimumPerThread: 8) { start, end in
            var scores = [Float](repeating: 0, count: sequence)
            for item in start..<end {
                let (image, head) = item.quotientAndRemainder(dividingBy: heads)
                let query = queryPointer + image * channels + head * headDimension
                var largest = -Float.infinity
                for token in 0..<sequence {
                    let key = keyValuePointer + (image * sequence + token) * 2 * channels + head * headDimension
                    var dot: Float = 0
                    for index in 0..<headDimension { dot += query[index] * key[index] }
                    scores[token] = dot * scale
                    largest = max(largest, scores[token])
                }
                var total: Float = 0
                for token in 0..<sequence {
                    scores[token] = exp(scores[token] - largest)
                    total += scores[token]
                }
                let result = output + image * channels + head * headDimension
                for index in 0..<headDimension { result[index] = 0 }
                for token in 0..<sequence {
                    let weight = scores[token] / total
                    let value = keyValuePointer + (image * sequence + token) * 2 * channels + channels + head * headDimension
                    for index in 0..<headDimension { result[index] += weight * value[index] }
                }
            }
        }
        return Operations.linear(attended, weight: outputWeight, bias: outputBias)
    }
}
