import CLIPModels
import Dispatch
import Foundation
import ImageCodecs
import TensorCore
import Tokenizers

/// Everything `clip-search train` can set.
public struct TrainingOptions: Sendable {
    public var modelDirectory: URL
    public var dataFile: URL
    public var outputDirectory: URL
    public var epochs = 1
    public var batchSize = 32
    public var learningRate: Float = 1e-5
    public var seed: UInt64 = 0
    public var heldOutFraction = 0.1
    public var optimizer = OptimizerSettings()
    public var shuffle = true
    /// Stop after this many optimizer steps (epochs continue as needed); nil: `epochs` full epochs.
    public var maximumSteps: Int?
    public var selection = TrainableSelection.all
    /// Micro-batches per optimizer step (each micro-batch is its own contrastive batch).
    public var accumulate = 1
    /// Gradient caching: the whole batch is one contrastive batch, with activations for this many pairs at a time.
    public var gradientCacheChunk: Int?
    public var warmupSteps = 0
    public var cosineSchedule = true
    public var clipNorm: Float?
    public var resume = false
    /// Random initial weights (seeded) instead of the model folder's; the folder still provides tokenizer and preprocessing.
    public var fromScratch = false
    /// A config.json to use instead of the model folder's (with `fromScratch`).
    public var configFile: URL?

    public init(modelDirectory: URL, dataFile: URL, outputDirectory: URL) {
        self.modelDirectory = modelDirectory
        self.dataFile = dataFile
        self.outputDirectory = outputDirectory
    }

    func validate() throws {
        guard epochs >= 1 else { throw TrainingError.invalidOption("--epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 2 else { throw TrainingError.invalidOption("--batch-size must be at least 2 (a contrastive batch compares pairs), got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else { throw TrainingError.invalidOption("--learning-rate must be positive, got \(learningRate)") }
        guard heldOutFraction >= 0, heldOutFraction < 1 else { throw TrainingError.invalidOption("--held-out must be in [0, 1), got \(heldOutFraction)") }
        guard accumulate >= 1 else { throw TrainingError.invalidOption("--accumulate must be at least 1, got \(accumulate)") }
        if let maximumSteps, maximumSteps < 1 { throw TrainingError.invalidOption("--steps must be at least 1, got \(maximumSteps)") }
        if let gradientCacheChunk, gradientCacheChunk < 1 { throw TrainingError.invalidOption("--gradient-cache-chunk must be at least 1, got \(gradientCacheChunk)") }
        guard warmupSteps >= 0 else { throw TrainingError.invalidOption("--warmup must not be negative, got \(warmupSteps)") }
        if let clipNorm, !(clipNorm > 0) { throw TrainingError.invalidOption("--clip-norm must be positive, got \(clipNorm)") }
        guard optimizer.weightDecay >= 0, optimizer.weightDecay.isFinite else {
            throw TrainingError.invalidOption("--weight-decay must be zero or positive, got \(optimizer.weightDecay)")
        }
    }
}

public struct TrainingSummary: Sendable {
    public var steps: Int
    public var lastLoss: Double?
    public var baseline: RetrievalMetrics?
    public var epochMetrics: [RetrievalMetrics]
    public var pairsPerSecond: Double
    /// Stopped early by `shouldStop`; the checkpoint in the output folder resumes the run.
    public var interrupted = false
}

/// Loads a model and a pairs file, splits off held-out pairs, and runs contrastive training with
/// per-epoch evaluation, checkpoints and resumable state.
public final class TrainingSession {
    public let options: TrainingOptions
    let log: (String) -> Void
    /// Asked after every optimizer step (Ctrl-C in the CLI): true saves a checkpoint there and returns.
    let shouldStop: () -> Bool

    public init(options: TrainingOptions, shouldStop: @escaping () -> Bool = { false }, log: @escaping (String) -> Void) {
        self.options = options
        self.shouldStop = shouldStop
        self.log = log
    }

    /// The model folder's tokenizer and image preprocessing (CLIP defaults at the model's size if absent).
    public static func inputs(model: TrainableModel, modelDirectory: URL) throws -> (any TextTokenizing, CLIPImagePreprocessor) {
        let tokenizer = try model.tokenizer(directory: modelDirectory)
        let imageSize = model.vision.imageSize
        var preprocessor = CLIPImagePreprocessor(shortestEdge: imageSize, cropHeight: imageSize, cropWidth: imageSize)
        let url = modelDirectory.appendingPathComponent("preprocessor_config.json")
        if FileManager.default.fileExists(atPath: url.path) {
            do { preprocessor = try CLIPImagePreprocessor(preprocessorConfig: url) } catch { throw TrainingError.model("\(error)") }
        }
        guard preprocessor.cropHeight == imageSize, preprocessor.cropWidth == imageSize else {
            throw TrainingError.model("\(url.path): crop \(preprocessor.cropHeight)×\(preprocessor.cropWidth) does not match the model's image_size \(imageSize)")
        }
        return (tokenizer, preprocessor)
    }

    /// Reads, tokenizes and decodes a pairs file; bad rows and undecodable images become warnings.
    public static func dataset(file: URL, model: TrainableModel, modelDirectory: URL, log: (String) -> Void) throws -> PairDataset {
        let (pairs, warnings) = try PairsFile.read(file)
        warnings.forEach(log)
        let (tokenizer, preprocessor) = try inputs(model: model, modelDirectory: modelDirectory)
        let dataset = PairDataset(pairs: pairs, tokenizer: tokenizer, preprocessor: preprocessor,
                                  imageSize: model.vision.imageSize, maximumTokens: model.maximumTextPositions)
        dataset.validateImages(sourcePath: file.path).forEach(log)
        guard dataset.count >= 2 else {
            throw TrainingError.noUsablePairs(path: file.path, reason: "\(dataset.count) decodable pair(s); contrastive training needs at least 2")
        }
        return dataset
    }

    func loadModel(state: TrainingState?) throws -> TrainableModel {
        if state != nil { return try TrainableModel.load(directory: options.outputDirectory) }
        if options.fromScratch {
            return try TrainableModel.random(
                configFile: options.configFile ?? options.modelDirectory.appendingPathComponent("config.json"), seed: options.seed)
        }
        return try TrainableModel.load(directory: options.modelDirectory)
    }

    /// Without --resume, a folder that already holds weights or a training state is not overwritten.
    static func refuseExistingCheckpoint(in directory: URL) throws {
        for name in [Checkpoint.stateFileName, Checkpoint.modelFileName]
        where FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            throw TrainingError.invalidOption(
                "--out '\(directory.path)' already holds \(name); pass --resume to continue that run, or choose another folder")
        }
    }

    /// A resumed run must see the same pairs, split and batches as the saved one, or its position in the
    /// data (epoch, next batch) would silently point at different pairs.
    static func checkResumable(_ saved: TrainingState, against current: TrainingState, path: String) throws {
        var differences: [String] = []
        if saved.optimizer != current.optimizer { differences.append("optimizer \(saved.optimizer), now \(current.optimizer)") }
        if saved.seed != current.seed { differences.append("--seed \(saved.seed), now \(current.seed)") }
        if saved.trainPairs != current.trainPairs || saved.heldOutPairs != current.heldOutPairs {
            differences.append("\(saved.trainPairs) training / \(saved.heldOutPairs) held-out pairs, now \(current.trainPairs) / \(current.heldOutPairs) (pairs file or --held-out changed)")
        }
        if let batchSize = saved.batchSize, batchSize != current.batchSize { differences.append("--batch-size \(batchSize), now \(current.batchSize ?? 0)") }
        if let accumulate = saved.accumulate, accumulate != current.accumulate { differences.append("--accumulate \(accumulate), now \(current.accumulate ?? 0)") }
        guard differences.isEmpty else {
            throw TrainingError.invalidState(path: path, reason: "cannot resume: saved with " + differences.joined(separator: "; "))
        }
    }

    /// Held-out pairs are a seeded random subset (the last ones in file order with `shuffle` off).
    static func split(count: Int, fraction: Double, seed: UInt64, shuffle: Bool) -> (train: [Int], heldOut: [Int]) {
        var order = Array(0..<count)
        if shuffle { var random = TrainingRandom(seed: seed); random.shuffle(&order) }
        var heldOutCount = Int((Double(count) * fraction).rounded())
        if fraction > 0 { heldOutCount = max(heldOutCount, 2) }
        heldOutCount = min(heldOutCount, max(0, count - 2))
        return (Array(order[0..<(count - heldOutCount)]), Array(order[(count - heldOutCount)...]).sorted())
    }

    /// One epoch's micro-batches, grouped per optimizer step; a last micro-batch of one pair is dropped.
    func stepGroups(train: [Int], epoch: Int) -> [[[Int]]] {
        var order = train
        if options.shuffle { var random = TrainingRandom.forEpoch(epoch, seed: options.seed); random.shuffle(&order) }
        let micro = stride(from: 0, to: order.count, by: options.batchSize)
            .map { Array(order[$0..<min(order.count, $0 + options.batchSize)]) }.filter { $0.count >= 2 }
        return stride(from: 0, to: micro.count, by: options.accumulate).map { Array(micro[$0..<min(micro.count, $0 + options.accumulate)]) }
    }

    public func run() throws -> TrainingSummary {
        try options.validate()
        if !options.resume { try Self.refuseExistingCheckpoint(in: options.outputDirectory) }
        let resumeState = options.resume ? try Checkpoint.loadState(from: options.outputDirectory) : nil
        let model = try loadModel(state: resumeState)
        let dataset = try Self.dataset(file: options.dataFile, model: model, modelDirectory: options.modelDirectory, log: log)
        let (train, heldOut) = Self.split(count: dataset.count, fraction: options.heldOutFraction, seed: options.seed, shuffle: options.shuffle)
        guard train.count >= 2 else { throw TrainingError.noUsablePairs(path: options.dataFile.path, reason: "fewer than 2 training pairs after the held-out split") }
        let trainer = ContrastiveTrainer(model: model, selection: options.selection)
        let optimizer = Optimizer(settings: options.optimizer, parameters: model.parameters, names: trainer.trainableNames)
        let gradients = GradientStore(mirroring: model.parameters)
        let stepsPerEpoch = stepGroups(train: train, epoch: 0).count
        let totalSteps = options.maximumSteps ?? options.epochs * stepsPerEpoch
        let schedule = LearningRateSchedule(baseRate: options.learningRate, warmupSteps: options.warmupSteps,
                                            totalSteps: totalSteps, cosine: options.cosineSchedule)
        var state = TrainingState(step: 0, epoch: 0, nextBatch: 0, seed: options.seed, optimizer: options.optimizer.kind.rawValue,
                                  totalSteps: totalSteps, trainPairs: train.count, heldOutPairs: heldOut.count, lastLoss: nil,
                                  batchSize: options.batchSize, accumulate: options.accumulate)
        if let resumeState {
            try Self.checkResumable(resumeState, against: state, path: options.outputDirectory.path)
            let url = options.outputDirectory.appendingPathComponent(Checkpoint.optimizerFileName)
            let file: SafeTensorsFile
            do { file = try SafeTensorsFile(fileAt: url) } catch { throw TrainingError.invalidState(path: url.path, reason: "\(error)") }
            try optimizer.restore(from: file, step: resumeState.step)
            state = resumeState
            state.totalSteps = totalSteps
            state.batchSize = options.batchSize
            state.accumulate = options.accumulate
            if state.step >= totalSteps {
                log("the run in \(options.outputDirectory.path) already reached step \(state.step) of \(totalSteps): nothing to train (raise --epochs or --steps to continue)")
            } else {
                log("resuming at step \(state.step), epoch \(state.epoch + 1), batch \(state.nextBatch + 1)")
            }
        }
        let trainableCount = trainer.trainableNames.reduce(0) { $0 + model.parameters[$1].count }
        log("training \(trainableCount) parameters on \(train.count) pairs (\(heldOut.count) held out), \(stepsPerEpoch) steps per epoch, \(totalSteps) steps")

        var summary = TrainingSummary(steps: state.step, lastLoss: state.lastLoss, baseline: nil, epochMetrics: [], pairsPerSecond: 0)
        if !heldOut.isEmpty && state.step == 0 {
            let baseline = try trainer.evaluate(dataset, indices: heldOut, batchSize: options.batchSize)
            summary.baseline = baseline
            log("held-out before training: \(baseline.summary)")
        }
        let logitLimit = Float(Foundation.log(Double(ContrastiveLoss.maximumLogitScale)))
        var trainedPairs = 0
        let started = DispatchTime.now().uptimeNanoseconds
        while state.step < totalSteps && !summary.interrupted {
            let groups = stepGroups(train: train, epoch: state.epoch)
            while state.nextBatch < groups.count && state.step < totalSteps && !summary.interrupted {
                let stepStart = DispatchTime.now().uptimeNanoseconds
                gradients.zero()
                let group = groups[state.nextBatch]
                var lossTotal = 0.0, pairs = 0
                for micro in group {
                    let (pixels, tokens) = try dataset.batch(micro)
                    let scale = 1 / Float(group.count)
                    let outcome: BatchOutcome
                    if let chunk = options.gradientCacheChunk {
                        outcome = try trainer.accumulateGradientsCached(pixelValues: pixels, tokenIDs: tokens, chunkSize: chunk, into: gradients, lossScale: scale)
                    } else {
                        outcome = try trainer.accumulateGradients(pixelValues: pixels, tokenIDs: tokens, into: gradients, lossScale: scale)
                    }
                    lossTotal += Double(outcome.loss)
                    pairs += micro.count
                }
                // A non-finite loss would turn every weight into NaN at the update: stop before it, so the
                // last checkpoint (if any) stays the newest state on disk.
                guard lossTotal.isFinite else {
                    throw TrainingError.diverged(step: state.step + 1, reason: "the loss is \(lossTotal)")
                }
                var normText = ""
                if let clipNorm = options.clipNorm {
                    let norm = GradientClipping.clip(gradients, names: trainer.trainableNames, maximumNorm: clipNorm)
                    normText = String(format: " grad-norm %.3f", norm)
                }
                let rate = schedule.rate(atStep: state.step)
                optimizer.update(parameters: model.parameters, gradients: gradients, learningRate: rate)
                // As in CLIP training: the temperature never exceeds 100 (the loss clamps there too).
                let logitScale = model.parameters["logit_scale"].pointer
                logitScale[0] = min(max(logitScale[0], 0), logitLimit)
                state.step += 1
                state.nextBatch += 1
                state.lastLoss = lossTotal / Double(group.count)
                trainedPairs += pairs
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e9
                log(String(format: "epoch %d step %d/%d loss %.4f lr %.3g%@ %.1f pairs/s",
                           state.epoch + 1, state.step, totalSteps, state.lastLoss ?? 0, rate, normText, Double(pairs) / max(seconds, 1e-9)))
                summary.interrupted = state.step < totalSteps && shouldStop()
            }
            let epochDone = state.nextBatch >= groups.count
            if epochDone {
                state.epoch += 1
                state.nextBatch = 0
            }
            if !heldOut.isEmpty && !summary.interrupted && (epochDone || state.step >= totalSteps) {
                let metrics = try trainer.evaluate(dataset, indices: heldOut, batchSize: options.batchSize)
                summary.epochMetrics.append(metrics)
                log("held-out after epoch \(epochDone ? state.epoch : state.epoch + 1): \(metrics.summary)")
            }
            if let name = trainer.trainableNames.first(where: { name in
                let tensor = model.parameters[name]
                return !(0..<tensor.count).allSatisfy { tensor.pointer[$0].isFinite }
            }) {
                throw TrainingError.diverged(step: state.step, reason: "parameter \(name) is no longer finite")
            }
            try Checkpoint.saveModel(model, to: options.outputDirectory, companionsFrom: options.modelDirectory,
                                     configFile: options.fromScratch ? options.configFile : nil)
            try Checkpoint.saveOptimizer(optimizer, state: state, to: options.outputDirectory)
            log("checkpoint saved to \(options.outputDirectory.path) (step \(state.step))")
            if summary.interrupted { log("interrupted at step \(state.step) of \(totalSteps): run the same command with --resume to continue") }
            if stepsPerEpoch == 0 { break }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        summary.steps = state.step
        summary.lastLoss = state.lastLoss
        summary.pairsPerSecond = Double(trainedPairs) / max(elapsed, 1e-9)
        return summary
    }
}
