import CLIPModels
import Foundation
import TensorCore
import XCTest

@testable import Training

/// Gradient caching, freezing and accumulation against the plain full-batch gradient.
final class GradientVariantsTests: XCTestCase {
    let modelName = "tiny-quickgelu"

    func fullBatchGradients(_ selection: TrainableSelection = .all) throws -> (GradientStore, BatchOutcome, ReferenceState) {
        let model = try CLIPModel.load(directory: TrainingFixtures.model(modelName), packWeights: false)
        let reference = try ReferenceState(model: modelName)
        let gradients = GradientStore(mirroring: model.parameters)
        let outcome = try ContrastiveTrainer(model: model, selection: selection).accumulateGradients(
            pixelValues: reference.pixelValues, tokenIDs: reference.tokenIDs, into: gradients)
        return (gradients, outcome, reference)
    }

    /// Noise-level gradients (the key biases, true value 0) are compared on an absolute floor.
    func assertSameGradients(_ actual: GradientStore, _ expected: GradientStore, names: [String], tolerance: Double,
                             _ message: String, line: UInt = #line) {
        for parameterName in names {
            let norm = expected.globalNorm(of: [parameterName])
            let difference = zip(actual[parameterName].values, expected[parameterName].values).map { abs(Double($0) - Double($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(difference, tolerance * max(norm, 1e-2), "\(message): \(parameterName)", line: line)
        }
    }

    func testGradientCacheEqualsFullBatchGradient() throws {
        let (plain, plainOutcome, reference) = try fullBatchGradients()
        for chunk in [1, 3] {
            let model = try CLIPModel.load(directory: TrainingFixtures.model(modelName), packWeights: false)
            let cached = GradientStore(mirroring: model.parameters)
            let outcome = try ContrastiveTrainer(model: model).accumulateGradientsCached(
                pixelValues: reference.pixelValues, tokenIDs: reference.tokenIDs, chunkSize: chunk, into: cached)
            XCTAssertEqual(outcome.loss, plainOutcome.loss, accuracy: 1e-6)
            assertSameGradients(cached, plain, names: plain.names, tolerance: 1e-5, "chunk \(chunk)")
        }
    }

    func testChunkedMicroBatchesWithoutCacheDiffer() throws {
        // Guards the test above: plain accumulation over chunks is a *different* (smaller-batch) loss.
        let (plain, _, reference) = try fullBatchGradients()
        let model = try CLIPModel.load(directory: TrainingFixtures.model(modelName), packWeights: false)
        let accumulated = GradientStore(mirroring: model.parameters)
        let trainer = ContrastiveTrainer(model: model)
        for start in [0, 2] {
            _ = try trainer.accumulateGradients(
                pixelValues: reference.pixelValues.rows(start, count: 2), tokenIDs: Array(reference.tokenIDs[start..<(start + 2)]),
                into: accumulated, lossScale: 0.5)
        }
        let name = "visual_projection.weight"
        let difference = zip(accumulated[name].values, plain[name].values).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(Double(difference), 1e-3 * plain.globalNorm(of: [name]))
    }

    func testFreezingAndProjectionOnlyTraining() throws {
        let (plain, _, _) = try fullBatchGradients()
        let allNames = plain.names
        for selection in [TrainableSelection(freezeVision: true), TrainableSelection(freezeText: true),
                          TrainableSelection(projectionsOnly: true)] {
            let (gradients, _, _) = try fullBatchGradients(selection)
            let trainable = allNames.filter(selection.isTrainable)
            let frozen = allNames.filter { !selection.isTrainable($0) }
            XCTAssertFalse(trainable.isEmpty)
            XCTAssertFalse(frozen.isEmpty)
            assertSameGradients(gradients, plain, names: trainable, tolerance: 1e-6, "\(selection) trainable")
            XCTAssertEqual(gradients.globalNorm(of: frozen), 0, "\(selection): frozen parameters get no gradient")
        }
        XCTAssertEqual(allNames.filter(TrainableSelection(projectionsOnly: true).isTrainable).sorted(),
                       ["logit_scale", "text_projection.weight", "visual_projection.weight"])
    }

    func testScheduleAndClipping() throws {
        let schedule = LearningRateSchedule(baseRate: 1, warmupSteps: 4, totalSteps: 14)
        XCTAssertEqual(schedule.rate(atStep: 0), 0.25, accuracy: 1e-6)
        XCTAssertEqual(schedule.rate(atStep: 3), 1, accuracy: 1e-6)
        XCTAssertEqual(schedule.rate(atStep: 9), 0.5, accuracy: 1e-6, "half-way through the cosine")
        XCTAssertEqual(schedule.rate(atStep: 14), 0, accuracy: 1e-6)
        let (gradients, _, _) = try fullBatchGradients()
        let names = gradients.names
        let before = gradients.globalNorm(of: names)
        let reported = GradientClipping.clip(gradients, names: names, maximumNorm: Float(before / 2))
        XCTAssertEqual(reported, before)
        XCTAssertEqual(gradients.globalNorm(of: names), before / 2, accuracy: 1e-4 * before)
    }
}
