import Foundation
import TensorCore
import XCTest

/// The symmetric InfoNCE loss: its value against a direct double-precision evaluation, its
/// gradients against finite differences, and the clamp of the logit scale at 100.
final class BackwardLossTests: XCTestCase {
    var random = BackwardTestRandom(state: 77)

    override func setUpWithError() throws { try BLAS.ensureLoaded() }

    func randomTensor(_ shape: [Int]) -> Tensor { Tensor(shape: shape) { _ in self.random.normal() } }

    /// The definition, written independently: normalise, scale, cross-entropy both ways.
    func directLoss(_ images: Tensor, _ texts: Tensor, _ t: Float) -> Double {
        let n = images.shape[0], d = images.shape[1]
        func unit(_ x: Tensor, _ row: Int) -> [Double] {
            let values = (0..<d).map { Double(x.pointer[row * d + $0]) }
            let norm = values.map { $0 * $0 }.reduce(0, +).squareRoot()
            return values.map { $0 / norm }
        }
        let scale = min(exp(Double(t)), 100)
        let logits = (0..<n).map { i in (0..<n).map { j in scale * zip(unit(images, i), unit(texts, j)).map(*).reduce(0, +) } }
        var total = 0.0
        for i in 0..<n {
            total += log(logits[i].map(exp).reduce(0, +)) - logits[i][i]
            total += log((0..<n).map { exp(logits[$0][i]) }.reduce(0, +)) - logits[i][i]
        }
        return total / Double(2 * n)
    }

    func testLossValueAndGradients() {
        let images = randomTensor([5, 7]), texts = randomTensor([5, 7])
        let t = Tensor(shape: [1], values: [log(10)])
        let result = ContrastiveLoss.evaluate(imageEmbeddings: images, textEmbeddings: texts, logLogitScale: t.pointer[0])
        XCTAssertEqual(Double(result.loss), directLoss(images, texts, t.pointer[0]), accuracy: 1e-5)
        let loss = { self.directLoss(images, texts, t.pointer[0]) }
        checkGradient("InfoNCE d(images)", input: images, analytic: result.imageGradient, step: 1e-3, loss: loss)
        checkGradient("InfoNCE d(texts)", input: texts, analytic: result.textGradient, step: 1e-3, loss: loss)
        checkGradient("InfoNCE d(logit scale)", input: t, analytic: Tensor(shape: [1], values: [result.logitScaleGradient]),
                             step: 1e-3, loss: loss)
    }

    func testLogitScaleClampStopsTheTemperatureGradient() {
        let images = randomTensor([4, 6]), texts = randomTensor([4, 6])
        let clamped = ContrastiveLoss.evaluate(imageEmbeddings: images, textEmbeddings: texts, logLogitScale: log(150))
        let atLimit = ContrastiveLoss.evaluate(imageEmbeddings: images, textEmbeddings: texts, logLogitScale: log(100) - 1e-6)
        XCTAssertEqual(clamped.logitScaleGradient, 0, "exp(t) > 100 is clamped, so t gets no gradient")
        XCTAssertNotEqual(atLimit.logitScaleGradient, 0)
        XCTAssertEqual(clamped.loss, atLimit.loss, accuracy: 1e-4, "the clamp caps the scale at 100")
        XCTAssertEqual(Double(clamped.loss), directLoss(images, texts, log(150)), accuracy: 1e-4)
    }
}
