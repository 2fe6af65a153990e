import ArgumentParser
import CLIPModels
import Foundation
import TensorCore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure image and text encoding speed on a full-size ViT-B/32 with seeded random weights.")

    @Option(help: "Batch size of the batched image measurement.")
    var batch: Int = 32

    @OptionGroup var measurement: BenchMeasurementOptions

    @OptionGroup var precision: PrecisionOptions

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        precision.apply()
        let configuration = CLIPConfiguration.vitBase32
        let model = try CLIPModel.random(configuration: configuration, seed: 42)
        let side = configuration.vision.imageSize
        var generator = SeededGenerator(seed: 7)
        func pixels(_ count: Int) -> Tensor {
            Tensor(shape: [count, 3, side, side]) { _ in generator.nextNormal() }
        }
        let single = pixels(1), batched = pixels(batch)
        _ = try model.encodeImages(pixelValues: single)

        let singleTime = try measure { _ = try model.encodeImages(pixelValues: single) }
        let batchTime = try measure { _ = try model.encodeImages(pixelValues: batched) }
        let query = [49406, 320, 1125, 539, 320, 1929, 530, 518, 2867, 49407]  // "a photo of a dog on the beach"
        let fullQuery = [49406] + (0..<75).map { 320 + $0 } + [49407]
        let queryTime = try measure { _ = try model.encodeTexts(tokenIDs: [query]) }
        let fullQueryTime = try measure { _ = try model.encodeTexts(tokenIDs: [fullQuery]) }

        let flopsPerImage = Self.imageFLOPs(configuration)
        let deviation = try precisionDeviation(model: model, configuration: configuration, images: batched, texts: [query, fullQuery])
        let results: [(String, Double)] = [
            ("images_per_second_batch_1", 1 / singleTime),
            ("images_per_second_batch_\(batch)", Double(batch) / batchTime),
            ("gflops_batch_1", flopsPerImage / singleTime / 1e9),
            ("gflops_batch_\(batch)", flopsPerImage * Double(batch) / batchTime / 1e9),
            ("text_query_10_tokens_ms", queryTime * 1000),
            ("text_query_77_tokens_ms", fullQueryTime * 1000),
            ("max_abs_difference_to_fp32_image", deviation.image),
            ("max_abs_difference_to_fp32_text", deviation.text),
        ]
        try BenchSupport.report(
            results,
            title: "ViT-B/32, random weights, \(Parallel.processorCount) threads, precision \(MatrixPrecision.current.effective.rawValue), BLAS kernel \(BLAS.coreName), element kernels \(elementKernelInstructionSet)",
            fields: ["blas_core": BLAS.coreName, "kernels": elementKernelInstructionSet, "threads": Parallel.processorCount,
                     "precision": MatrixPrecision.current.effective.rawValue],
            json: measurement.json)
    }

    /// Largest element difference of the normalised embeddings between the measured precision and an
    /// fp32 copy of the same model (0 when fp32 is measured): what the speed costs in accuracy.
    func precisionDeviation(model: CLIPModel, configuration: CLIPConfiguration, images: Tensor, texts: [[Int]]) throws -> (image: Double, text: Double) {
        guard MatrixPrecision.current.effective != .float32 else { return (0, 0) }
        let measured = MatrixPrecision.current
        MatrixPrecision.current = .float32
        defer { MatrixPrecision.current = measured }
        let reference = try CLIPModel.random(configuration: configuration, seed: 42)
        MatrixPrecision.current = measured
        let fastImages = try model.encodeImages(pixelValues: images), fastTexts = try model.encodeTexts(tokenIDs: texts)
        MatrixPrecision.current = .float32
        return (BenchSupport.largestNormalizedDifference(fastImages, try reference.encodeImages(pixelValues: images)),
                BenchSupport.largestNormalizedDifference(fastTexts, try reference.encodeTexts(tokenIDs: texts)))
    }

    func measure(_ body: () throws -> Void) throws -> Double {
        try BenchSupport.medianSeconds(for: measurement.seconds, cpuTime: measurement.cpuTime, body)
    }

    static func imageFLOPs(_ configuration: CLIPConfiguration) -> Double {
        let vision = configuration.vision, width = Double(vision.transformer.hiddenSize)
        let sequence = Double(vision.sequenceLength), inner = Double(vision.transformer.intermediateSize)
        let perLayer = 2 * sequence * (4 * width * width + 2 * width * inner) + 4 * sequence * sequence * width
        let patch = 2 * Double(vision.patchCount) * width * Double(vision.channelCount * vision.patchSize * vision.patchSize)
        return perLayer * Double(vision.transformer.layerCount) + patch
    }
}
