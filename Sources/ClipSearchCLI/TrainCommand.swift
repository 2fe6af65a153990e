import ArgumentParser
import CLIPModels
import Foundation
import Training

/// Options shared by the subcommands that read a pairs file.
enum TrainingCommandSupport {
    static func output(_ message: String) {
        // Progress lines go out immediately even when stdout is a pipe.
        FileHandle.standardOutput.write(Data((message + "\n").utf8))
    }

    static func warnOrPrint(_ message: String) {
        if message.hasPrefix("warning:") {
            FileHandle.standardError.write(Data((message + "\n").utf8))
        } else {
            output(message)
        }
    }
}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune (or train from scratch) a CLIP model on image–caption pairs with the contrastive loss.",
        discussion: """
        The model folder is a Hugging Face CLIP or Chinese-CLIP (BERT text tower, WordPiece captions) checkpoint. \
        The pairs file is TSV, CSV or JSONL of (image path, caption); relative paths are resolved against the pairs \
        file's folder, and an optional header row is skipped. Rows that are malformed or whose image cannot be \
        decoded are reported and skipped. Each epoch evaluates recall@1/5/10 on the held-out pairs and writes a \
        checkpoint in the Hugging Face layout to --out, with the optimizer state for --resume.
        """)

    @Option(help: "Model folder in the Hugging Face layout (weights, config, tokenizer, preprocessor).")
    var model: String
    @Option(help: "Pairs file: .tsv, .csv or .jsonl of image path and caption.")
    var data: String
    @Option(help: "Output folder for checkpoints and training state.")
    var out: String
    @Option(help: "Epochs over the training pairs (ignored when --steps is given).")
    var epochs: Int = 1
    @Option(help: "Pairs per contrastive batch.")
    var batchSize: Int = 32
    @Option(help: "Peak learning rate.")
    var learningRate: Float = 1e-5
    @Option(help: "Seed for the held-out split, shuffling and (with --from-scratch) the initial weights.")
    var seed: UInt64 = 0
    @Option(help: "Fraction of pairs held out for evaluation.")
    var heldOut: Double = 0.1
    @Option(help: "Optimizer: adamw or sgd.")
    var optimizer: String = "adamw"
    @Option(help: "Weight decay (AdamW: decoupled; not applied to gains, biases, embeddings, temperature).")
    var weightDecay: Float = 0.1
    @Flag(help: "Keep the pairs in file order (the held-out pairs are then the last ones).")
    var noShuffle = false
    @Option(help: "Stop after this many optimizer steps.")
    var steps: Int?
    @Option(help: "Freeze a tower: vision or text.")
    var freeze: [String] = []
    @Option(help: "Train only part of the model: 'projections' (projections and temperature) or 'all'.")
    var train: String = "all"
    @Option(help: "Micro-batches per optimizer step (gradient accumulation).")
    var accumulate: Int = 1
    @Option(help: "Gradient caching: hold activations for this many pairs at a time while the whole batch stays one contrastive batch.")
    var gradientCacheChunk: Int?
    @Option(help: "Linear warm-up steps before the cosine decay.")
    var warmup: Int = 0
    @Flag(help: "Constant learning rate after warm-up instead of the cosine decay.")
    var constantLearningRate = false
    @Option(help: "Clip the global gradient norm to this value.")
    var clipNorm: Float?
    @Flag(help: "Continue the run saved in --out.")
    var resume = false
    @Flag(help: "Start from seeded random weights (the --model folder still provides tokenizer and preprocessing).")
    var fromScratch = false
    @Option(help: "config.json to use with --from-scratch instead of the model folder's.")
    var config: String?

    func validate() throws {
        // Found now, not after the training it would otherwise throw away.
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: (out as NSString).expandingTildeInPath, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("--out '\(out)' is a file, not a folder")
        }
        guard OptimizerKind(rawValue: optimizer) != nil else { throw ValidationError("--optimizer must be adamw or sgd, got '\(optimizer)'") }
        for tower in freeze where tower != "vision" && tower != "text" {
            throw ValidationError("--freeze takes vision or text, got '\(tower)'")
        }
        guard train == "all" || train == "projections" else { throw ValidationError("--train takes all or projections, got '\(train)'") }
        if config != nil && !fromScratch { throw ValidationError("--config is only used with --from-scratch") }
    }

    func run() throws {
        var options = TrainingOptions(
            modelDirectory: URL(fileURLWithPath: model), dataFile: URL(fileURLWithPath: data), outputDirectory: URL(fileURLWithPath: out))
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.seed = seed
        options.heldOutFraction = heldOut
        options.optimizer = OptimizerSettings(kind: OptimizerKind(rawValue: optimizer) ?? .adamw, weightDecay: weightDecay)
        options.shuffle = !noShuffle
        options.maximumSteps = steps
        options.selection = TrainableSelection(
            freezeVision: freeze.contains("vision"), freezeText: freeze.contains("text"), projectionsOnly: train == "projections")
        options.accumulate = accumulate
        options.gradientCacheChunk = gradientCacheChunk
        options.warmupSteps = warmup
        options.cosineSchedule = !constantLearningRate
        options.clipNorm = clipNorm
        options.resume = resume
        options.fromScratch = fromScratch
        options.configFile = config.map { URL(fileURLWithPath: $0) }
        let interrupt = InterruptFlag()
        interrupt.install(message: "stopping after the current step and saving a checkpoint (Ctrl-C again to quit now)…")
        let summary = try TrainingSession(options: options, shouldStop: { interrupt.isRaised }, log: TrainingCommandSupport.warnOrPrint).run()
        if summary.interrupted { throw ExitCode(130) }
        TrainingCommandSupport.output(String(format: "done: %d steps, %.2f pairs/s overall", summary.steps, summary.pairsPerSecond))
    }
}
