import Foundation
import TensorCore
import XCTest

/// Each kernel against a direct double-precision evaluation of its definition on seeded random data.
final class OperationTests: XCTestCase {
    var generator = TestGenerator(seed: 11)

    func randomTensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor(shape: shape) { _ in self.generator.normal() * scale }
    }

    func assertClose(_ actual: [Float], _ expected: [Double], tolerance: Double, _ message: String, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, message, line: line)
        let worst = zip(actual, expected).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(message): worst relative error \(worst)", line: line)
    }

    func naiveLinear(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> [Double] {
        let m = x.shape[0], k = x.shape[1], n = w.shape[0]
        var result = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var total = Double(b?.pointer[j] ?? 0)
                for index in 0..<k { total += Double(x.pointer[i * k + index]) * Double(w.pointer[j * k + index]) }
                result[i * n + j] = total
            }
        }
        return result
    }

    override func setUpWithError() throws { try BLAS.ensureLoaded() }

    func testLinearMatchesDefinitionOnBothPaths() {
        // Row counts on both sides of the streaming-kernel limit, and sizes that are not multiples of the vector width.
        for (m, k, n) in [(1, 37, 5), (3, 64, 9), (7, 130, 33), (16, 48, 16), (17, 50, 70), (90, 77, 41)] {
            let x = randomTensor([m, k]), w = randomTensor([n, k]), b = randomTensor([n])
            assertClose(Operations.linear(x, weight: w, bias: b).values, naiveLinear(x, w, b), tolerance: 1e-5, "linear \(m)×\(k)×\(n)")
            assertClose(Operations.linear(x, weight: w, bias: nil).values, naiveLinear(x, w, nil), tolerance: 1e-5, "linear without bias \(m)×\(k)×\(n)")
        }
        XCTAssertGreaterThan(Operations.streamingRowLimit, 1)
    }

    func testPackedLinearMatchesDefinition() {
        // Row counts around the 6-row tile, columns around the panel width, odd inner sizes.
        for (m, k, n) in [(1, 3, 1), (5, 17, 31), (6, 64, 32), (7, 33, 33), (13, 50, 70), (40, 129, 100)] {
            let x = randomTensor([m, k]), w = randomTensor([n, k]), b = randomTensor([n])
            let packed = PackedMatrix(w, precision: .float32)
            let output = Tensor(uninitializedShape: [m, n])
            Operations.linear(x, packed: packed, bias: b, into: output)
            assertClose(output.values, naiveLinear(x, w, b), tolerance: 1e-5, "packed linear \(m)×\(k)×\(n)")
            Operations.linear(x, packed: packed, bias: nil, into: output)
            assertClose(output.values, naiveLinear(x, w, nil), tolerance: 1e-5, "packed linear without bias \(m)×\(k)×\(n)")
        }
    }

    func testTileLinearMatchesDefinitionInBothTilePrecisions() throws {
        try XCTSkipUnless(MatrixPrecision.tilesAvailable, "this CPU has no AMX-BF16 tiles")
        // Rows around the 16- and 32-row blocks, columns around the 32-column block, depths around the 32-deep chunk;
        // (300, 1000, 70) has more rows than one group at its depth, so it runs in 768-deep pieces with a 12-row tail.
        for (m, k, n) in [(1, 3, 1), (10, 31, 33), (16, 32, 32), (17, 65, 64), (33, 100, 70), (50, 768, 97), (300, 40, 5), (300, 1000, 70)] {
            let x = randomTensor([m, k]), w = randomTensor([n, k]), b = randomTensor([n])
            let expected = naiveLinear(x, w, b)
            // Per product bf16x3 keeps ~17 mantissa bits and bf16 ~8; random rounding errors grow with √k.
            for (precision, perRootDepth) in [(MatrixPrecision.bfloat16x3, 3e-5), (.bfloat16, 1.5e-2)] {
                let tolerance = perRootDepth * Double(k).squareRoot()
                let packed = PackedMatrix(w, precision: precision)
                XCTAssertEqual(packed.precision, precision)
                let output = Tensor(uninitializedShape: [m, n])
                Operations.linear(x, packed: packed, bias: b, into: output)
                assertClose(output.values, expected, tolerance: tolerance, "\(precision.rawValue) linear \(m)×\(k)×\(n)")
            }
        }
        // One bf16 pass must really be coarser than three, or the split is not doing its job.
        let x = randomTensor([40, 256]), w = randomTensor([48, 256])
        let expected = naiveLinear(x, w, nil)
        func worst(_ precision: MatrixPrecision) -> Double {
            let output = Tensor(uninitializedShape: [40, 48])
            Operations.linear(x, packed: PackedMatrix(w, precision: precision), bias: nil, into: output)
            return zip(output.values, expected).map { abs(Double($0) - $1) }.max() ?? 0
        }
        XCTAssertLessThan(worst(.bfloat16x3) * 50, worst(.bfloat16))
    }

    /// Video frames run bf16x3 weights with one pass: the same numbers as weights packed for bf16, and
    /// only inside the limit.
    func testProductLimitRunsOnePassOnThreePassWeights() throws {
        try XCTSkipUnless(MatrixPrecision.tilesAvailable, "this CPU has no AMX-BF16 tiles")
        let x = randomTensor([37, 200]), w = randomTensor([70, 200]), b = randomTensor([70])
        func product(_ packed: PackedMatrix) -> [Float] {
            let output = Tensor(uninitializedShape: [37, 70])
            Operations.linear(x, packed: packed, bias: b, into: output)
            return output.values
        }
        let threePass = PackedMatrix(w, precision: .bfloat16x3), onePass = PackedMatrix(w, precision: .bfloat16)
        let precise = product(threePass), coarse = product(onePass)
        XCTAssertNotEqual(precise, coarse)
        XCTAssertEqual(MatrixPrecision.$productLimit.withValue(.bfloat16) { product(threePass) }, coarse)
        XCTAssertEqual(MatrixPrecision.$productLimit.withValue(.bfloat16x3) { product(threePass) }, precise)
        XCTAssertEqual(product(threePass), precise, "the limit must end with its scope")
        let fp32 = PackedMatrix(w, precision: .float32)
        XCTAssertEqual(MatrixPrecision.$productLimit.withValue(.bfloat16) { product(fp32) }, product(fp32))
    }

    /// Convolutions follow the same rule: one tile pass under the limit on bf16x3, fp32 stays fp32.
    func testProductLimitReachesConvolutionsButNotFloat32() throws {
        try XCTSkipUnless(MatrixPrecision.tilesAvailable, "this CPU has no AMX-BF16 tiles")
        let input = randomTensor([3, 2, 9, 9]), weight = randomTensor([40, 3 * 3 * 3]), bias = randomTensor([40])
        let saved = MatrixPrecision.current
        defer { MatrixPrecision.current = saved }
        func convolve(_ precision: MatrixPrecision, limit: MatrixPrecision? = nil) -> [Float] {
            MatrixPrecision.current = precision
            return MatrixPrecision.$productLimit.withValue(limit) {
                Convolution.convolve(input, weight: weight, bias: bias, kernel: 3, stride: 2, padding: 1, relu: false).values
            }
        }
        let onePass = convolve(.bfloat16), fp32 = convolve(.float32)
        XCTAssertNotEqual(onePass, fp32)
        XCTAssertEqual(convolve(.bfloat16x3, limit: .bfloat16), onePass)
        XCTAssertEqual(convolve(.float32, limit: .bfloat16), fp32)
    }

    func testFloat32PrecisionKeepsTheFloat32Kernel() {
        let packed = PackedMatrix(randomTensor([8, 8]), precision: .float32)
        XCTAssertEqual(packed.precision, .float32)
        XCTAssertEqual(MatrixPrecision.bfloat16.effective, MatrixPrecision.tilesAvailable ? .bfloat16 : .float32)
    }

    func testMatmulTransposes() {
        let a = randomTensor([5, 7]), b = randomTensor([7, 4])
        let product = Operations.matmul(a, b).values
        var expected = [Double](repeating: 0, count: 20)
        for i in 0..<5 { for j in 0..<4 { for k in 0..<7 { expected[i * 4 + j] += Double(a.pointer[i * 7 + k]) * Double(b.pointer[k * 4 + j]) } } }
        assertClose(product, expected, tolerance: 1e-5, "matmul")
        let transposed = Operations.matmul(a, a, transposeA: true).values  // [7, 7] = aᵀa
        var gram = [Double](repeating: 0, count: 49)
        for i in 0..<7 { for j in 0..<7 { for r in 0..<5 { gram[i * 7 + j] += Double(a.pointer[r * 7 + i]) * Double(a.pointer[r * 7 + j]) } } }
        assertClose(transposed, gram, tolerance: 1e-5, "matmul transposeA")
    }

    func testLayerNorm() {
        let rows = 40, dim = 77
        let x = randomTensor([rows, dim], scale: 3), gamma = randomTensor([dim]), beta = randomTensor([dim])
        let epsilon: Float = 1e-5
        var expected: [Double] = []
        for r in 0..<rows {
            let row = (0..<dim).map { Double(x.pointer[r * dim + $0]) }
            let mean = row.reduce(0, +) / Double(dim)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)
            for (i, value) in row.enumerated() {
                expected.append((value - mean) / (variance + Double(epsilon)).squareRoot() * Double(gamma.pointer[i]) + Double(beta.pointer[i]))
            }
        }
        assertClose(Operations.layerNorm(x, weight: gamma, bias: beta, epsilon: epsilon).values, expected, tolerance: 2e-5, "layer norm")
    }

    func testActivations() {
        let x = randomTensor([70_000], scale: 4)
        let inputs = x.values.map(Double.init)
        let definitions: [(Activation, (Double) -> Double)] = [
            (.quickGELU, { $0 / (1 + exp(-1.702 * $0)) }),
            (.gelu, { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }),
            (.geluTanh, { 0.5 * $0 * (1 + tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }),
            (.relu, { max($0, 0) }),
        ]
        for (activation, definition) in definitions {
            let values = x.copy()
            Operations.activateInPlace(values, activation)
            assertClose(values.values, inputs.map(definition), tolerance: 1e-6, "\(activation)")
        }
        // Saturation: large magnitudes must not overflow into NaN or infinity.
        let extremes = Tensor(shape: [4], values: [-120, -90, 90, 120])
        Operations.activateInPlace(extremes, .quickGELU)
        XCTAssertEqual(extremes.values.map { $0.isFinite }, [true, true, true, true])
        XCTAssertEqual(extremes.values[3], 120, accuracy: 1e-4)
    }

    func naiveAttention(_ qkv: Tensor, batch: Int, sequence: Int, heads: Int, causal: Bool, lengths: [Int]) -> [Double] {
        let width = qkv.shape[1] / 3, dh = width / heads
        var output = [Double](repeating: 0, count: batch * sequence * width)
        func value(_ b: Int, _ t: Int, _ column: Int) -> Double { Double(qkv.pointer[(b * sequence + t) * 3 * width + column]) }
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<sequence {
                    let keys = (0..<sequence).filter { j in j < lengths[b] && (!causal || j <= i) }
                    let scores = keys.map { j in (0..<dh).reduce(0.0) { $0 + value(b, i, h * dh + $1) * value(b, j, width + h * dh + $1) } / Double(dh).squareRoot() }
                    let maximum = scores.max() ?? 0
                    let weights = scores.map { exp($0 - maximum) }
                    let total = weights.reduce(0, +)
                    for d in 0..<dh {
                        output[(b * sequence + i) * width + h * dh + d] = zip(keys, weights).reduce(0.0) { $0 + $1.1 / total * value(b, $1.0, 2 * width + h * dh + d) }
                    }
                }
            }
        }
        return output
    }

    func testAttentionCausalAndPadded() {
        let batch = 3, sequence = 9, heads = 4, width = 32
        let qkv = randomTensor([batch * sequence, 3 * width])
        for causal in [false, true] {
            for lengths in [[9, 9, 9], [9, 4, 1]] {
                let result = Operations.attention(qkv: qkv, batch: batch, sequence: sequence, heads: heads, causal: causal, validLengths: lengths)
                assertClose(result.values, naiveAttention(qkv, batch: batch, sequence: sequence, heads: heads, causal: causal, lengths: lengths),
                            tolerance: 1e-5, "attention causal=\(causal) lengths=\(lengths)")
            }
        }
    }

    func testAttentionWithSixtyFourDimensionalHeads() {
        // The vision towers' shape (64-dimensional heads, up to 64 tokens) has its own register-blocked
        // kernel: sequences that are not a multiple of its 4-row step, padding, and the general path above 64.
        for (sequence, lengths) in [(50, [50, 50]), (7, [7, 3]), (64, [64, 61]), (66, [66, 40])] {
            let batch = 2, heads = 2, width = 128
            let qkv = randomTensor([batch * sequence, 3 * width])
            let result = Operations.attention(qkv: qkv, batch: batch, sequence: sequence, heads: heads, causal: false, validLengths: lengths)
            assertClose(result.values, naiveAttention(qkv, batch: batch, sequence: sequence, heads: heads, causal: false, lengths: lengths),
                        tolerance: 1e-5, "attention sequence=\(sequence) lengths=\(lengths)")
        }
    }

    func testNormalizeRowsAndAdd() {
        let x = randomTensor([6, 13]), y = randomTensor([6, 13])
        let expectedSum = zip(x.values, y.values).map { Double($0) + Double($1) }
        Operations.addInPlace(x, y)
        assertClose(x.values, expectedSum, tolerance: 1e-7, "add")
        Operations.normalizeRowsInPlace(x)
        for r in 0..<6 { XCTAssertEqual(x.row(r).reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5) }
    }

    func testViewsShareStorage() {
        let whole = Tensor(shape: [4, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        let middle = whole.rows(1, count: 2)
        XCTAssertEqual(middle.values, [3, 4, 5, 6])
        middle.pointer[0] = 30
        XCTAssertEqual(whole.values[2], 30)
        XCTAssertEqual(whole.copy().reshaped([8]).values, whole.values)
    }

    func testBLASUsesAnOptimisedKernelOnThisCPU() {
        XCTAssertNotEqual(BLAS.coreName, "unloaded")
        if !BLAS.requestedCore.isEmpty { XCTAssertEqual(BLAS.coreName.lowercased(), BLAS.requestedCore.lowercased()) }
        XCTAssertNotEqual(BLAS.coreName.lowercased(), "prescott", "OpenBLAS fell back to its slowest kernel")
    }
}

struct TestGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func normal() -> Float {
        let u1 = Double(next() >> 11) * 0x1.0p-53 + 0x1.0p-54, u2 = Double(next() >> 11) * 0x1.0p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
}
