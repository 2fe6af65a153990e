import ArgumentParser
import CLIPModels
import Dispatch
import Foundation
import TensorCore

/// `clip-search bench-resnet`: image-tower speed of OpenAI's ResNets (seeded random weights).
struct BenchResNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-resnet",
        abstract: "Measure ResNet image-tower speed (RN50 by default) with seeded random weights.")

    @Option(help: "Architecture: RN50, RN101, RN50x4, RN50x16 or RN50x64.")
    var model: String = "RN50"

    @Option(help: "Batch size of the batched measurement.")
    var batch: Int = 8

    @OptionGroup var measurement: BenchMeasurementOptions

    @OptionGroup var precision: PrecisionOptions

    static let architectures: [String: ResNetConfiguration] = [
        "RN50": .rn50, "RN101": .rn101, "RN50x4": .rn50x4, "RN50x16": .rn50x16, "RN50x64": .rn50x64,
    ]

    func validate() throws {
        guard Self.architectures[model] != nil else {
            throw ValidationError("--model must be one of \(Self.architectures.keys.sorted().joined(separator: ", "))")
        }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        guard let configuration = Self.architectures[model] else { return }
        precision.apply()
        try BLAS.ensureLoaded()
        var generator = SeededGenerator(seed: 42)
        let shapes = Dictionary(uniqueKeysWithValues: ResNetImageTower.specifications(configuration).map { ($0.name, $0.shape) })
        let tower = try ResNetImageTower(configuration: configuration) { name in
            let shape = shapes[name] ?? []
            let fanIn = max(1, shape.dropFirst().reduce(1, *))
            return Tensor(shape: shape) { _ in
                if name.hasSuffix("running_var") { return 1 + 0.1 * abs(generator.nextNormal()) }
                return generator.nextNormal() / Float(fanIn).squareRoot()
            }
        }
        let side = configuration.imageSize
        func pixels(_ count: Int) -> Tensor { Tensor(shape: [count, 3, side, side]) { _ in generator.nextNormal() } }
        let single = pixels(1), batched = pixels(batch)
        _ = try tower.forward(pixelValues: single)
        let singleTime = try measure { _ = try tower.forward(pixelValues: single) }
        let batchTime = try measure { _ = try tower.forward(pixelValues: batched) }
        // Convolutions choose their kernel when they run, so the same tower gives the fp32 reference.
        let measured = MatrixPrecision.current
        let fast = try tower.forward(pixelValues: batched)
        MatrixPrecision.current = .float32
        let reference = try tower.forward(pixelValues: batched)
        MatrixPrecision.current = measured
        let results: [(String, Double)] = [
            ("images_per_second_batch_1", 1 / singleTime),
            ("images_per_second_batch_\(batch)", Double(batch) / batchTime),
            ("ms_per_image_batch_1", singleTime * 1000),
            ("ms_per_image_batch_\(batch)", batchTime * 1000 / Double(batch)),
            ("max_abs_difference_to_fp32", BenchSupport.largestNormalizedDifference(fast, reference)),
        ]
        try BenchSupport.report(
            results, title: "\(model) image tower, random weights, \(Parallel.processorCount) threads, precision \(MatrixPrecision.current.effective.rawValue), BLAS kernel \(BLAS.coreName)",
            fields: ["model": model, "blas_core": BLAS.coreName, "threads": Parallel.processorCount], json: measurement.json)
    }

    func measure(_ body: () throws -> Void) throws -> Double {
        try BenchSupport.medianSeconds(for: measurement.seconds, cpuTime: measurement.cpuTime, body)
    }
}
