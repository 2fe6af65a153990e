import Foundation
import TensorCore
import XCTest

/// Seeded normal values for the finite-difference tests (SplitMix64 + Box–Muller).
struct BackwardTestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func normal() -> Float {
        let u1 = Double(next() >> 11) * 0x1.0p-53 + 0x1.0p-54, u2 = Double(next() >> 11) * 0x1.0p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

    /// Central differences of `loss` with respect to each element of `input` against `analytic`.
func checkGradient(_ name: String, input: Tensor, analytic: Tensor, step: Float = 1e-2, tolerance: Double = 1e-2,
                   file: StaticString = #filePath, line: UInt = #line, loss: () -> Double) {
    XCTAssertEqual(input.count, analytic.count, name, file: file, line: line)
    let largest = analytic.values.map { abs(Double($0)) }.max() ?? 0
    XCTAssertGreaterThan(largest, 1e-4, "\(name): the analytic gradient is (nearly) zero, so the check would be vacuous", file: file, line: line)
    var worst = 0.0, worstIndex = 0
    for index in 0..<input.count {
        let original = input.pointer[index]
        input.pointer[index] = original + step
        let plus = loss()
        input.pointer[index] = original - step
        let minus = loss()
        input.pointer[index] = original
        let numeric = (plus - minus) / (2 * Double(step))
        let error = abs(numeric - Double(analytic.pointer[index])) / max(largest, 1e-3)
        if error > worst { worst = error; worstIndex = index }
    }
    XCTAssertLessThan(worst, tolerance, "\(name): worst relative error \(worst) at element \(worstIndex)", file: file, line: line)
}

/// Every backward op against central finite differences of a scalar probe loss
/// L = Σ probe ⊙ forward(x), whose output gradient is exactly `probe`.
final class BackwardOperationsTests: XCTestCase {
    var random = BackwardTestRandom(state: 2024)

    override func setUpWithError() throws { try BLAS.ensureLoaded() }

    func randomTensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor(shape: shape) { _ in self.random.normal() * scale }
    }

    func probeLoss(_ output: Tensor, _ probe: Tensor) -> Double {
        var total = 0.0
        for index in 0..<output.count { total += Double(output.pointer[index]) * Double(probe.pointer[index]) }
        return total
    }

    func testLinearBackward() {
        let x = randomTensor([5, 7]), weight = randomTensor([6, 7], scale: 0.5), bias = randomTensor([6])
        let probe = randomTensor([5, 6])
        let loss = { self.probeLoss(Operations.linear(x, weight: weight, bias: bias), probe) }
        let dx = Tensor(zeros: [5, 7]), dw = Tensor(zeros: [6, 7]), db = Tensor(zeros: [6])
        BackwardOperations.linear(input: x, weight: weight, outputGradient: probe, inputGradient: dx, weightGradient: dw, biasGradient: db)
        checkGradient("linear dX", input: x, analytic: dx, loss: loss)
        checkGradient("linear dW", input: weight, analytic: dw, loss: loss)
        checkGradient("linear db", input: bias, analytic: db, loss: loss)
        // Large enough to take the GEMM path of the forward (more rows than the streaming kernel handles).
        let tall = randomTensor([40, 9]), tallWeight = randomTensor([4, 9]), tallProbe = randomTensor([40, 4])
        let tallGradient = Tensor(zeros: [4, 9])
        BackwardOperations.linear(input: tall, weight: tallWeight, outputGradient: tallProbe, inputGradient: nil,
                                  weightGradient: tallGradient, biasGradient: nil)
        checkGradient("linear dW (GEMM forward)", input: tallWeight, analytic: tallGradient) {
            self.probeLoss(Operations.linear(tall, weight: tallWeight, bias: nil), tallProbe)
        }
    }

    func testLinearBackwardAccumulatesParameterGradients() {
        let x = randomTensor([3, 4]), weight = randomTensor([2, 4]), probe = randomTensor([3, 2])
        let once = Tensor(zeros: [2, 4]), twice = Tensor(zeros: [2, 4])
        BackwardOperations.linear(input: x, weight: weight, outputGradient: probe, inputGradient: nil, weightGradient: once, biasGradient: nil)
        for _ in 0..<2 {
            BackwardOperations.linear(input: x, weight: weight, outputGradient: probe, inputGradient: nil, weightGradient: twice, biasGradient: nil)
        }
        for index in 0..<once.count { XCTAssertEqual(twice.pointer[index], 2 * once.pointer[index], accuracy: 1e-5) }
    }

    func testLayerNormBackward() {
        for rows in [3, 70] {  // 70 rows splits the gain/bias accumulation across threads
            let x = randomTensor([rows, 12], scale: 2), gain = randomTensor([12]), bias = randomTensor([12]), probe = randomTensor([rows, 12])
            let loss = { self.probeLoss(Operations.layerNorm(x, weight: gain, bias: bias, epsilon: 1e-5), probe) }
            let dx = Tensor(zeros: x.shape), dGain = Tensor(zeros: [12]), dBias = Tensor(zeros: [12])
            BackwardOperations.layerNorm(input: x, weight: gain, epsilon: 1e-5, outputGradient: probe,
                                         inputGradient: dx, weightGradient: dGain, biasGradient: dBias)
            checkGradient("layerNorm dX (\(rows) rows)", input: x, analytic: dx, loss: loss)
            checkGradient("layerNorm dGain (\(rows) rows)", input: gain, analytic: dGain, loss: loss)
            checkGradient("layerNorm dBias (\(rows) rows)", input: bias, analytic: dBias, loss: loss)
        }
    }

    func testActivationBackward() {
        for activation in Activation.allCases {
            let x = randomTensor([50], scale: 2), probe = randomTensor([50])
            // ReLU's kink: keep inputs away from 0 so the difference quotient is defined.
            if activation == .relu { for index in 0..<x.count where abs(x.pointer[index]) < 0.05 { x.pointer[index] = 0.5 } }
            let loss = { () -> Double in
                let y = x.copy()
                Operations.activateInPlace(y, activation)
                return self.probeLoss(y, probe)
            }
            let gradient = probe.copy()
            BackwardOperations.activate(activation, preActivation: x, gradient: gradient)
            checkGradient("\(activation) backward", input: x, analytic: gradient, step: 1e-3, loss: loss)
        }
    }

    func testAttentionBackwardWithMasks() {
        let batch = 2, sequence = 5, heads = 2, width = 8
        for (causal, lengths) in [(false, nil), (true, nil), (false, [5, 3] as [Int]?), (true, [4, 2] as [Int]?)] {
            let qkv = randomTensor([batch * sequence, 3 * width]), probe = randomTensor([batch * sequence, width])
            let loss = {
                self.probeLoss(Operations.attention(qkv: qkv, batch: batch, sequence: sequence, heads: heads,
                                                    causal: causal, validLengths: lengths), probe)
            }
            let gradient = BackwardOperations.attention(qkv: qkv, outputGradient: probe, batch: batch, sequence: sequence,
                                                        heads: heads, causal: causal, validLengths: lengths)
            checkGradient("attention causal \(causal) lengths \(lengths ?? [])", input: qkv, analytic: gradient, step: 5e-3, loss: loss)
        }
    }

    func testNormalizeRowsBackward() {
        let x = randomTensor([3, 6]), probe = randomTensor([3, 6])
        let loss = { () -> Double in
            let y = x.copy()
            Operations.normalizeRowsInPlace(y)
            return self.probeLoss(y, probe)
        }
        let normalized = x.copy()
        Operations.normalizeRowsInPlace(normalized)
        let gradient = BackwardOperations.normalizeRows(normalized: normalized, norms: BackwardOperations.rowNorms(x), outputGradient: probe)
        checkGradient("normalizeRows", input: x, analytic: gradient, step: 1e-3, loss: loss)
    }

    func testGatherScatterRows() {
        let table = randomTensor([6, 4]), indices = [2, 0, 2, 5], probe = randomTensor([4, 4])
        let gradient = Tensor(zeros: [6, 4])
        BackwardOperations.scatterAddRows(probe, indices: indices, into: gradient)
        checkGradient("gather/scatter (repeated index)", input: table, analytic: gradient) {
            self.probeLoss(BackwardOperations.gatherRows(table, indices: indices), probe)
        }
        XCTAssertEqual(gradient.row(1), [0, 0, 0, 0], "rows never gathered get no gradient")
    }

    func testPatchEmbeddingBackward() {
        let pixels = randomTensor([2, 3, 8, 8]), weight = randomTensor([5, 3, 4, 4], scale: 0.3)
        let rows = PatchEmbedding.rows(pixels: pixels, channels: 3, side: 8, patch: 4)
        XCTAssertEqual(rows.shape, [8, 48])
        // Patch (sample 1, row 1, column 0), channel 2, offset (y 3, x 1) comes from pixel (1, 2, 7, 1).
        XCTAssertEqual(rows.pointer[(4 + 2) * 48 + 2 * 16 + 3 * 4 + 1], pixels.pointer[((1 * 3 + 2) * 8 + 7) * 8 + 1])
        let probe = randomTensor([8, 5]), gradient = Tensor(zeros: weight.shape)
        PatchEmbedding.backward(rows: rows, weight: weight, outputGradient: probe, weightGradient: gradient)
        checkGradient("patch embedding dW", input: weight, analytic: gradient) {
            self.probeLoss(PatchEmbedding.forward(rows: rows, weight: weight), probe)
        }
    }
}
