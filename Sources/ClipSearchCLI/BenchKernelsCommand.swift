import ArgumentParser
import CLIPModels
import Foundation
import TensorCore

/// Compares the two GEMM paths of `Operations.linear` on one shape, interleaved so that load from
/// other programs affects both alike. A tool for choosing `CLIPSEARCH_STREAMING_ROWS`.
struct BenchKernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-kernels",
        abstract: "Compare OpenBLAS and the weight-streaming kernel for x[m,k]·W[n,k]ᵀ (developer tool).")

    @Option(help: "Rows of x.") var rows: Int = 50
    @Option(help: "Input width k.") var inputs: Int = 768
    @Option(help: "Output width n.") var outputs: Int = 3072
    @Option(help: "Interleaved rounds.") var rounds: Int = 20

    func validate() throws {
        guard rows > 0, inputs > 0, outputs > 0, rounds > 0 else { throw ValidationError("sizes and --rounds must be positive") }
    }

    func run() throws {
        try BLAS.ensureLoaded()
        var generator = SeededGenerator(seed: 1)
        let x = Tensor(shape: [rows, inputs]) { _ in generator.nextNormal() }
        let weight = Tensor(shape: [outputs, inputs]) { _ in generator.nextNormal() }
        let bias = Tensor(shape: [outputs]) { _ in generator.nextNormal() }
        let output = Tensor(uninitializedShape: [rows, outputs])
        let packed = PackedMatrix(weight)
        let reference = Tensor(uninitializedShape: [rows, outputs])
        Operations.linear(x, weight: weight, bias: bias, into: reference, streaming: false)
        let paths = ["OpenBLAS sgemm", "streaming kernel", "packed kernel"]
        var timings = [[Double]](repeating: [], count: paths.count)
        for round in 0..<(rounds * paths.count) {
            let path = round % paths.count
            let start = DispatchTime.now().uptimeNanoseconds
            switch path {
            case 0: Operations.linear(x, weight: weight, bias: bias, into: output, streaming: false)
            case 1: Operations.linear(x, weight: weight, bias: bias, into: output, streaming: true)
            default: Operations.linear(x, packed: packed, bias: bias, into: output)
            }
            timings[path].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            let difference = zip(output.values, reference.values).map { abs($0 - $1) }.max() ?? 0
            if difference > 1e-3 { throw ValidationError("\(paths[path]) differs from OpenBLAS by \(difference)") }
        }
        let flops = 2.0 * Double(rows * inputs * outputs)
        for (index, name) in paths.enumerated() {
            let sorted = timings[index].sorted()
            let median = sorted[sorted.count / 2]
            print(name.padding(toLength: 18, withPad: " ", startingAt: 0), String(format: "%8.3f ms  %7.1f GFLOP/s", median * 1000, flops / median / 1e9))
        }
    }
}
