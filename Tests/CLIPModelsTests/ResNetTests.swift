@testable import CLIPModels
import Foundation
import TensorCore
import XCTest

/// The convolution kernels against a direct (six nested loops) convolution, and the ResNet tower's
/// building blocks. End-to-end parity with open_clip is in OpenCLIPParityTests (rn-tiny).
final class ResNetTests: XCTestCase {
    /// Direct convolution on NCHW data, as PyTorch's Conv2d defines it.
    func directConvolution(_ input: [Float], batch: Int, inChannels: Int, side: Int, weight: [Float], bias: [Float],
                           outChannels: Int, kernel: Int, stride: Int, padding: Int) -> [Float] {
        let outSide = (side + 2 * padding - kernel) / stride + 1
        var output = [Float](repeating: 0, count: batch * outChannels * outSide * outSide)
        for n in 0..<batch {
            for o in 0..<outChannels {
                for y in 0..<outSide {
                    for x in 0..<outSide {
                        var sum = bias[o]
                        for c in 0..<inChannels {
                            for ky in 0..<kernel {
                                for kx in 0..<kernel {
                                    let iy = y * stride - padding + ky, ix = x * stride - padding + kx
                                    guard iy >= 0, iy < side, ix >= 0, ix < side else { continue }
                                    sum += input[((n * inChannels + c) * side + iy) * side + ix]
                                        * weight[((o * inChannels + c) * kernel + ky) * kernel + kx]
                                }
                            }
                        }
                        output[((n * outChannels + o) * outSide + y) * outSide + x] = sum
                    }
                }
            }
        }
        return output
    }

    func testConvolutionMatchesDirectConvolution() throws {
        try BLAS.ensureLoaded()
        let saved = MatrixPrecision.current
        defer { MatrixPrecision.current = saved }
        // fp32 (OpenBLAS; also what bf16x3 uses for convolutions) and, where the CPU has AMX, one-pass bf16
        // tiles: ~8 mantissa bits per product, so the bound grows with the square root of the depth summed.
        for precision in [MatrixPrecision.float32, .bfloat16x3, .bfloat16] {
            MatrixPrecision.current = precision
            try checkConvolutions(tolerancePerRootDepth: precision.effective == .bfloat16 ? 1.5e-2 : 1e-5, precision: precision)
        }
    }

    func checkConvolutions(tolerancePerRootDepth: Float, precision: MatrixPrecision) throws {
        var generator = SeededGenerator(seed: 5)
        for (kernel, stride, padding, side) in [(3, 2, 1, 9), (3, 1, 1, 7), (1, 1, 0, 5), (5, 3, 2, 11)] {
            let batch = 3, inChannels = 4, outChannels = 6
            let input = (0..<(batch * inChannels * side * side)).map { _ in generator.nextNormal() }
            let weight = (0..<(outChannels * inChannels * kernel * kernel)).map { _ in generator.nextNormal() }
            let bias = (0..<outChannels).map { _ in generator.nextNormal() }
            let expected = directConvolution(input, batch: batch, inChannels: inChannels, side: side, weight: weight, bias: bias,
                                             outChannels: outChannels, kernel: kernel, stride: stride, padding: padding)
            let channelMajor = Convolution.channelMajor(Tensor(shape: [batch, inChannels, side, side], values: input))
            for relu in [false, true] {
                let output = Convolution.convolve(
                    channelMajor, weight: Tensor(shape: [outChannels, inChannels * kernel * kernel], values: weight),
                    bias: Tensor(shape: [outChannels], values: bias), kernel: kernel, stride: stride, padding: padding, relu: relu)
                let outSide = output.shape[2]
                var worst: Float = 0
                for n in 0..<batch {
                    for o in 0..<outChannels {
                        for index in 0..<(outSide * outSide) {
                            var reference = expected[(n * outChannels + o) * outSide * outSide + index]
                            if relu { reference = max(reference, 0) }
                            worst = max(worst, abs(output.pointer[(o * batch + n) * outSide * outSide + index] - reference))
                        }
                    }
                }
                let tolerance = tolerancePerRootDepth * Float(inChannels * kernel * kernel).squareRoot()
                XCTAssertLessThan(worst, tolerance, "\(precision.rawValue) kernel \(kernel) stride \(stride) padding \(padding) relu \(relu)")
            }
        }
    }

    func testAveragePoolAndResidualReLU() {
        let input = Tensor(shape: [2, 1, 4, 5]) { Float($0) }
        let pooled = Convolution.averagePool(input, kernel: 2)
        XCTAssertEqual(pooled.shape, [2, 1, 2, 2])
        // Plane 0 rows: 0…4, 5…9, 10…14, 15…19; the fifth column is dropped (floor mode).
        XCTAssertEqual(pooled.values, [3, 5, 13, 15, 23, 25, 33, 35])
        let x = Tensor(shape: [4], values: [1, -2, 3, -4]), y = Tensor(shape: [4], values: [-3, 1, 1, 5])
        Convolution.addReLUInPlace(x, y)
        XCTAssertEqual(x.values, [0, 0, 4, 1])
    }

    func testBatchNormIsFoldedIntoTheConvolution() throws {
        // One 1×1 convolution with BatchNorm: y = γ (w·x − μ)/√(σ²+ε) + β for every channel.
        let configuration = ResNetConfiguration(layers: [1, 1, 1, 1], width: 2, imageSize: 32, headCount: 1, outputDimension: 3)
        var generator = SeededGenerator(seed: 9)
        let shapes = Dictionary(uniqueKeysWithValues: ResNetImageTower.specifications(configuration).map { ($0.name, $0.shape) })
        var made: [String: Tensor] = [:]
        let tower = try ResNetImageTower(configuration: configuration) { name in
            let tensor = Tensor(shape: shapes[name] ?? []) { _ in
                name.hasSuffix("running_var") ? 0.5 + abs(generator.nextNormal()) : generator.nextNormal()
            }
            made[name] = tensor
            return tensor
        }
        let convolution = try XCTUnwrap(tower.stages.first?.first?.first)
        let weight = try XCTUnwrap(made["layer1.0.conv1.weight"]), gamma = try XCTUnwrap(made["layer1.0.bn1.weight"])
        let beta = try XCTUnwrap(made["layer1.0.bn1.bias"]), mean = try XCTUnwrap(made["layer1.0.bn1.running_mean"])
        let variance = try XCTUnwrap(made["layer1.0.bn1.running_var"])
        let depth = weight.count / weight.shape[0]
        for channel in 0..<weight.shape[0] {
            let scale = gamma.pointer[channel] / (variance.pointer[channel] + 1e-5).squareRoot()
            XCTAssertEqual(convolution.bias.pointer[channel], beta.pointer[channel] - mean.pointer[channel] * scale, accuracy: 1e-6)
            XCTAssertEqual(convolution.weight.pointer[channel * depth], weight.pointer[channel * depth] * scale, accuracy: 1e-6)
        }
    }

    func testMissingTensorIsReportedByName() throws {
        let folder = FixturePaths.root.appendingPathComponent("openclip/rn-tiny")
        let configuration = try OpenCLIPConfiguration.load(fileAt: folder.appendingPathComponent("open_clip_config.json"))
        guard case .resNet(var sizes) = configuration.image else { return XCTFail("rn-tiny is a ResNet") }
        sizes.layers = [1, 3, 1, 1]  // one block more than the checkpoint has
        let source = try OpenCLIPModel.openWeights(directory: folder)
        let shapes = Dictionary(uniqueKeysWithValues: ResNetImageTower.specifications(sizes).map { ($0.name, $0.shape) })
        XCTAssertThrowsError(try ResNetImageTower(configuration: sizes) { name in
            try OpenCLIPKeyMapping.read(source: source, key: "visual." + name, shape: shapes[name] ?? [])
        }) { error in XCTAssertTrue("\(error)".contains("visual.layer2.2.conv1.weight"), "\(error)") }
    }
}
