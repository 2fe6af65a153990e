import CLIPModels
import Foundation
import TensorCore
import XCTest

@testable import Training

/// Loss, every parameter's gradient and the weights after optimizer steps against PyTorch's
/// `CLIPModel(..., return_loss=True)` / `ChineseCLIPModel(..., return_loss=True)` on the same batch.
final class GradientParityTests: XCTestCase {
    static let models = ["tiny-quickgelu", "tiny-gelu"]
    /// Every model with a reference state: the CLIP fixtures and the Chinese-CLIP one (BERT text tower).
    static let allModels = models + ["tiny-cn"]

    /// The key bias shifts every score of a query by the same q · b, which softmax ignores: its true
    /// gradient is exactly zero, and both PyTorch's and ours are float rounding noise (~1e-7 relative).
    static func hasZeroTrueGradient(_ name: String) -> Bool {
        name.hasSuffix("self_attn.k_proj.bias") || name.hasSuffix("attention.self.key.bias")
    }

    /// The value projection's bias of the same layer: the scale noise-level key-bias gradients are judged against.
    static func valueName(_ keyBias: String) -> String {
        keyBias.replacingOccurrences(of: "k_proj", with: "v_proj").replacingOccurrences(of: "self.key", with: "self.value")
    }

    func testTrainingForwardEqualsInferenceForward() throws {
        for name in Self.models {
            let model = try CLIPModel.load(directory: TrainingFixtures.model(name), packWeights: false)
            let reference = try ReferenceState(model: name)
            let trainer = ContrastiveTrainer(model: model)
            let (images, texts) = try trainer.embed(pixelValues: reference.pixelValues, tokenIDs: reference.tokenIDs)
            // Same operations in the same order as the (unpacked) inference forward: bit-identical.
            XCTAssertEqual(images.values, try model.encodeImages(pixelValues: reference.pixelValues).values, "\(name) images")
            XCTAssertEqual(texts.values, try model.encodeTexts(tokenIDs: reference.tokenIDs).values, "\(name) texts")
            // The packed-weight inference kernels sum in another order: equal to float rounding.
            let packed = try CLIPModel.load(directory: TrainingFixtures.model(name), packWeights: true)
            for (ours, theirs, kind) in [(images, try packed.encodeImages(pixelValues: reference.pixelValues), "images"),
                                         (texts, try packed.encodeTexts(tokenIDs: reference.tokenIDs), "texts")] {
                let scale = theirs.values.map { abs($0) }.max() ?? 1
                let error = zip(ours.values, theirs.values).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(error, 1e-4 * scale, "\(name) \(kind) vs packed inference")
            }
        }
    }

    func testLossAndEveryGradientMatchPyTorch() throws {
        for name in Self.allModels {
            let model = try TrainableModel.load(directory: TrainingFixtures.directory(name))
            let reference = try ReferenceState(model: name)
            let trainer = ContrastiveTrainer(model: model)
            let gradients = GradientStore(mirroring: model.parameters)
            let outcome = try trainer.accumulateGradients(
                pixelValues: reference.pixelValues, tokenIDs: reference.tokenIDs, into: gradients)
            XCTAssertEqual(outcome.loss, reference.loss, accuracy: 1e-5 * max(1, reference.loss), "\(name) loss")
            var worstRelative = 0.0, worstName = ""
            for specification in model.parameters.specifications {
                let parameterName = specification.name
                let (rows, expected) = try reference.stored("gradient", parameterName)
                let actual = ReferenceState.select(gradients[parameterName], rows: rows)
                let referenceNorm = try XCTUnwrap(reference.gradientNorms[parameterName], parameterName)
                if Self.hasZeroTrueGradient(parameterName) {
                    let scale = try XCTUnwrap(reference.gradientNorms[Self.valueName(parameterName)])
                    XCTAssertLessThan(referenceNorm, 1e-4 * scale, "\(name) \(parameterName): PyTorch's is not noise-level")
                    XCTAssertLessThan(gradients.globalNorm(of: [parameterName]), 1e-4 * scale, "\(name) \(parameterName) is not noise-level")
                    continue
                }
                XCTAssertGreaterThan(referenceNorm, 0, "\(name) \(parameterName): PyTorch's gradient is zero")
                let largestError = zip(actual, expected).map { abs(Double($0) - Double($1)) }.max() ?? 0
                let relative = largestError / referenceNorm
                if relative > worstRelative { worstRelative = relative; worstName = parameterName }
                XCTAssertLessThan(relative, 1e-4, "\(name) \(parameterName): max error \(largestError), gradient norm \(referenceNorm)")
                let ourNorm = gradients.globalNorm(of: [parameterName])
                XCTAssertEqual(ourNorm, referenceNorm, accuracy: 1e-4 * referenceNorm, "\(name) \(parameterName) gradient norm")
            }
            print("\(name): loss \(outcome.loss) vs \(reference.loss); worst gradient error / norm \(worstRelative) (\(worstName))")
        }
    }

    func testWeightsAfterThreeOptimizerStepsMatchPyTorch() throws {
        for name in Self.allModels {
            for kind in OptimizerKind.allCases {
                let model = try TrainableModel.load(directory: TrainingFixtures.directory(name))
                let initial = try TrainableModel.load(directory: TrainingFixtures.directory(name))
                let reference = try ReferenceState(model: name)
                let hyper = try reference.section(kind.rawValue)
                let learningRate = Float(try XCTUnwrap(hyper["lr"] as? Double))
                let settings: OptimizerSettings
                if kind == .adamw {
                    let betas = try XCTUnwrap(hyper["betas"] as? [Double])
                    settings = OptimizerSettings(
                        kind: .adamw, weightDecay: Float(try XCTUnwrap(hyper["weight_decay"] as? Double)),
                        beta1: Float(betas[0]), beta2: Float(betas[1]), epsilon: Float(try XCTUnwrap(hyper["eps"] as? Double)))
                } else {
                    settings = OptimizerSettings(
                        kind: .sgd, weightDecay: Float(try XCTUnwrap(hyper["weight_decay"] as? Double)),
                        momentum: Float(try XCTUnwrap(hyper["momentum"] as? Double)))
                }
                let trainer = ContrastiveTrainer(model: model)
                let optimizer = Optimizer(settings: settings, parameters: model.parameters, names: trainer.trainableNames)
                let gradients = GradientStore(mirroring: model.parameters)
                let expectedLosses = try XCTUnwrap(hyper["losses"] as? [Double])
                for step in 0..<expectedLosses.count {
                    gradients.zero()
                    let outcome = try trainer.accumulateGradients(
                        pixelValues: reference.pixelValues, tokenIDs: reference.tokenIDs, into: gradients)
                    XCTAssertEqual(Double(outcome.loss), expectedLosses[step], accuracy: 1e-4 * max(1, expectedLosses[step]),
                                   "\(name) \(kind) loss before step \(step + 1)")
                    optimizer.update(parameters: model.parameters, gradients: gradients, learningRate: learningRate)
                }
                // Compare each parameter's total change against PyTorch's.
                var worst = 0.0, worstName = ""
                for specification in model.parameters.specifications {
                    let parameterName = specification.name
                    // Adam divides noise-level gradients by their own size: compare only the bound lr · steps.
                    let noiseOnly = Self.hasZeroTrueGradient(parameterName)
                    let (rows, expected) = try reference.stored(kind.rawValue, parameterName)
                    let actual = ReferenceState.select(model.parameters[parameterName], rows: rows)
                    let start = ReferenceState.select(initial.parameters[parameterName], rows: rows)
                    let expectedChange = zip(expected, start).map { Double($0) - Double($1) }
                    let actualChange = zip(actual, start).map { Double($0) - Double($1) }
                    let scale = expectedChange.map(abs).max() ?? 0
                    let error = zip(actualChange, expectedChange).map { abs($0 - $1) }.max() ?? 0
                    let relative = error / max(scale, 1e-6)
                    if noiseOnly {
                        let bound = Double(learningRate) * Double(expectedLosses.count) * (kind == .adamw ? 1.01 : 1e-3)
                        XCTAssertLessThan(actualChange.map(abs).max() ?? 0, bound, "\(name) \(kind) \(parameterName) moved too far")
                        continue
                    }
                    if relative > worst { worst = relative; worstName = parameterName }
                    // AdamW moves an element whose gradient is far below eps by lr · g / eps: rounding in such
                    // gradients (e.g. the nearly cancelling parts of key weights) is amplified up to lr/eps = 1000×.
                    XCTAssertLessThan(relative, kind == .adamw ? 1e-2 : 2e-4, "\(name) \(kind) \(parameterName): change error \(error), largest change \(scale)")
                }
                print("\(name) \(kind): worst change error / largest change \(worst) (\(worstName))")
            }
        }
    }
}
