import ArgumentParser
import CLIPModels
import Dispatch
import Foundation
import TensorCore
import Training

struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-train",
        abstract: "Measure contrastive fine-tuning throughput (pairs/s) on a full-size ViT-B/32 with seeded random weights.",
        discussion: "Reference on the project machine (2 cores): PyTorch 2.5.1 fp32 full fine-tuning, AdamW, batch 32, 20-token captions: 5.4 pairs/s.")

    @Option(help: "Pairs per contrastive batch.")
    var batch: Int = 32
    @Option(help: "Timed optimizer steps (after one untimed warm-up step).")
    var steps: Int = 3
    @Option(help: "Tokens per caption, start and end tokens included.")
    var tokens: Int = 20
    @Option(help: "What trains: all or projections.")
    var train: String = "all"
    @Option(help: "Gradient caching chunk (pairs whose activations are held at once).")
    var gradientCacheChunk: Int?
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard batch >= 2 else { throw ValidationError("--batch must be at least 2") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard tokens >= 2, tokens <= 77 else { throw ValidationError("--tokens must be in 2...77") }
        guard train == "all" || train == "projections" else { throw ValidationError("--train takes all or projections") }
    }

    func run() throws {
        let configuration = CLIPConfiguration.vitBase32
        let model = try CLIPModel.random(configuration: configuration, seed: 42, packWeights: false)
        let trainer = ContrastiveTrainer(model: model, selection: TrainableSelection(projectionsOnly: train == "projections"))
        let optimizer = Optimizer(settings: OptimizerSettings(kind: .adamw), parameters: model.parameters, names: trainer.trainableNames)
        let gradients = GradientStore(mirroring: model.parameters)
        var generator = SeededGenerator(seed: 7)
        let side = configuration.vision.imageSize
        let pixels = Tensor(shape: [batch, 3, side, side]) { _ in generator.nextNormal() }
        // Distinct captions of the requested length; ids stay below the end token, which closes each caption.
        let captions = (0..<batch).map { index in
            [49406] + (0..<(tokens - 2)).map { 400 + (index * 131 + $0 * 17) % 40000 } + [49407]
        }
        func step() throws -> Float {
            gradients.zero()
            let outcome: BatchOutcome
            if let chunk = gradientCacheChunk {
                outcome = try trainer.accumulateGradientsCached(pixelValues: pixels, tokenIDs: captions, chunkSize: chunk, into: gradients)
            } else {
                outcome = try trainer.accumulateGradients(pixelValues: pixels, tokenIDs: captions, into: gradients)
            }
            optimizer.update(parameters: model.parameters, gradients: gradients, learningRate: 1e-5)
            return outcome.loss
        }
        _ = try step()
        var times: [Double] = []
        var loss: Float = 0
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            loss = try step()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let median = times.sorted()[times.count / 2]
        let pairsPerSecond = Double(batch) / median
        if json {
            let object: [String: Any] = [
                "pairs_per_second": (pairsPerSecond * 100).rounded() / 100, "seconds_per_step": (median * 1000).rounded() / 1000,
                "batch": batch, "tokens": tokens, "train": train, "threads": Parallel.processorCount,
                "blas_core": BLAS.coreName, "pytorch_reference_pairs_per_second": 5.4, "last_loss": Double(loss),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("ViT-B/32 contrastive fine-tuning (\(train)), AdamW, batch \(batch), \(tokens)-token captions, \(Parallel.processorCount) threads, BLAS \(BLAS.coreName)")
            print(String(format: "%.2f pairs/s (median of %d steps, %.2f s/step); PyTorch 2.5.1 on this machine: 5.4 pairs/s", pairsPerSecond, steps, median))
        }
    }
}
