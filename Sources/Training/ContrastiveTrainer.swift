import CLIPModels
import Foundation
import TensorCore

/// Which parameters train: everything, or a tower frozen, or only the projections and temperature
/// (locked-image / locked-text tuning, cheap enough for a CPU).
public struct TrainableSelection: Sendable, Equatable {
    public var freezeVision: Bool
    public var freezeText: Bool
    public var projectionsOnly: Bool

    public init(freezeVision: Bool = false, freezeText: Bool = false, projectionsOnly: Bool = false) {
        self.freezeVision = freezeVision
        self.freezeText = freezeText
        self.projectionsOnly = projectionsOnly
    }

    public static let all = TrainableSelection()

    public func isTrainable(_ name: String) -> Bool {
        let isVision = name.hasPrefix("vision_model.") || name == "visual_projection.weight"
        let isText = name.hasPrefix("text_model.") || name == "text_projection.weight"
        if isVision && freezeVision || isText && freezeText { return false }
        if projectionsOnly { return name == "visual_projection.weight" || name == "text_projection.weight" || name == "logit_scale" }
        return true
    }

    var visionRecording: TowerRecording {
        freezeVision ? .none : projectionsOnly ? .projectionOnly : .full
    }

    var textRecording: TowerRecording {
        freezeText ? .none : projectionsOnly ? .projectionOnly : .full
    }
}

/// The result of one forward/backward over a batch.
public struct BatchOutcome: Sendable {
    public let loss: Float
    public let pairCount: Int
    /// Cosine similarities [images, texts] of the batch.
    public let similarities: Tensor
}

/// The text tower a trainer back-propagates through: CLIP's causal transformer or Chinese-CLIP's BERT.
enum TextTowerTraining {
    case clip(TextTraining)
    case bert(BERTTextTraining)

    func forward(tokenIDs: [[Int]], recording: TowerRecording) throws -> (Tensor, TowerRecord) {
        switch self {
        case .clip(let tower): return try tower.forward(tokenIDs: tokenIDs, recording: recording)
        case .bert(let tower): return try tower.forward(tokenIDs: tokenIDs, recording: recording)
        }
    }

    func backward(_ record: TowerRecord, outputGradient: Tensor, gradients: GradientStore) {
        switch self {
        case .clip(let tower): tower.backward(record, outputGradient: outputGradient, gradients: gradients)
        case .bert(let tower): tower.backward(record, outputGradient: outputGradient, gradients: gradients)
        }
    }
}

/// Computes CLIP's contrastive loss and its gradients for every trainable parameter of a model.
/// Its forward reads the live parameter tensors; build the model with `packWeights: false`, since the
/// packed inference copies are snapshots that would go stale as the optimizer updates the weights.
public final class ContrastiveTrainer: @unchecked Sendable {
    public let model: TrainableModel
    public let selection: TrainableSelection
    public let trainableNames: [String]
    let vision: VisionTraining
    let text: TextTowerTraining

    public init(model: TrainableModel, selection: TrainableSelection = .all) {
        self.model = model
        self.selection = selection
        trainableNames = model.parameters.specifications.map(\.name).filter(selection.isTrainable)
        vision = VisionTraining(configuration: model.vision, parameters: model.parameters)
        switch model.architecture {
        case .clip(let clip):
            let textTower = clip.text
            text = .clip(TextTraining(configuration: clip.configuration.text, parameters: model.parameters,
                                      poolingPosition: { textTower.poolingPosition($0) }))
        case .chineseCLIP(let configuration):
            text = .bert(BERTTextTraining(configuration: configuration.text, parameters: model.parameters))
        }
    }

    public convenience init(model: CLIPModel, selection: TrainableSelection = .all) {
        self.init(model: TrainableModel(clip: model), selection: selection)
    }

    var logLogitScale: Float { model.parameters["logit_scale"].pointer[0] }

    /// Projected, unnormalised embeddings without recording anything (evaluation, gradient caching).
    public func embed(pixelValues: Tensor, tokenIDs: [[Int]]) throws -> (images: Tensor, texts: Tensor) {
        let (images, _) = try vision.forward(pixelValues: pixelValues, recording: .none)
        let (texts, _) = try text.forward(tokenIDs: tokenIDs, recording: .none)
        return (images, texts)
    }

    /// Loss over the batch; gradients (times `lossScale`) are ADDED to `gradients`.
    public func accumulateGradients(pixelValues: Tensor, tokenIDs: [[Int]], into gradients: GradientStore,
                                    lossScale: Float = 1) throws -> BatchOutcome {
        try checkBatch(pixelValues, tokenIDs)
        let (images, visionRecord) = try vision.forward(pixelValues: pixelValues, recording: selection.visionRecording)
        let (texts, textRecord) = try text.forward(tokenIDs: tokenIDs, recording: selection.textRecording)
        let result = ContrastiveLoss.evaluate(imageEmbeddings: images, textEmbeddings: texts, logLogitScale: logLogitScale)
        scale(result.imageGradient, lossScale)
        scale(result.textGradient, lossScale)
        vision.backward(visionRecord, outputGradient: result.imageGradient, gradients: gradients)
        text.backward(textRecord, outputGradient: result.textGradient, gradients: gradients)
        addLogitScaleGradient(result.logitScaleGradient * lossScale, gradients)
        return BatchOutcome(loss: result.loss, pairCount: tokenIDs.count, similarities: result.similarities)
    }

    /// The same loss and gradients as `accumulateGradients` over the whole batch, with activations held
    /// for only `chunkSize` pairs at a time (gradient caching): embed everything without recording,
    /// take the loss and its embedding gradients over the full batch, then re-run each chunk's forward
    /// with recording and back-propagate that chunk's slice of the embedding gradients.
    public func accumulateGradientsCached(pixelValues: Tensor, tokenIDs: [[Int]], chunkSize: Int, into gradients: GradientStore,
                                          lossScale: Float = 1) throws -> BatchOutcome {
        try checkBatch(pixelValues, tokenIDs)
        guard chunkSize >= 1 else { throw TrainingError.invalidOption("gradient-cache chunk size must be at least 1, got \(chunkSize)") }
        let count = tokenIDs.count, dimension = model.projectionDimension
        let images = Tensor(uninitializedShape: [count, dimension]), texts = Tensor(uninitializedShape: [count, dimension])
        for start in stride(from: 0, to: count, by: chunkSize) {
            let length = min(chunkSize, count - start)
            let (chunkImages, chunkTexts) = try embed(
                pixelValues: pixelValues.rows(start, count: length), tokenIDs: Array(tokenIDs[start..<(start + length)]))
            images.rows(start, count: length).copy(from: chunkImages)
            texts.rows(start, count: length).copy(from: chunkTexts)
        }
        let result = ContrastiveLoss.evaluate(imageEmbeddings: images, textEmbeddings: texts, logLogitScale: logLogitScale)
        scale(result.imageGradient, lossScale)
        scale(result.textGradient, lossScale)
        for start in stride(from: 0, to: count, by: chunkSize) {
            let length = min(chunkSize, count - start)
            if selection.visionRecording != .none {
                let (_, record) = try vision.forward(pixelValues: pixelValues.rows(start, count: length), recording: selection.visionRecording)
                vision.backward(record, outputGradient: result.imageGradient.rows(start, count: length), gradients: gradients)
            }
            if selection.textRecording != .none {
                let (_, record) = try text.forward(tokenIDs: Array(tokenIDs[start..<(start + length)]), recording: selection.textRecording)
                text.backward(record, outputGradient: result.textGradient.rows(start, count: length), gradients: gradients)
            }
        }
        addLogitScaleGradient(result.logitScaleGradient * lossScale, gradients)
        return BatchOutcome(loss: result.loss, pairCount: count, similarities: result.similarities)
    }

    private func checkBatch(_ pixelValues: Tensor, _ tokenIDs: [[Int]]) throws {
        guard !tokenIDs.isEmpty, pixelValues.rank == 4, pixelValues.shape[0] == tokenIDs.count else {
            throw TrainingError.model("batch mismatch: pixel values \(pixelValues.shape) for \(tokenIDs.count) captions")
        }
    }

    private func scale(_ tensor: Tensor, _ factor: Float) {
        guard factor != 1 else { return }
        for index in 0..<tensor.count { tensor.pointer[index] *= factor }
    }

    private func addLogitScaleGradient(_ value: Float, _ gradients: GradientStore) {
        guard selection.isTrainable("logit_scale") else { return }
        gradients["logit_scale"].pointer[0] += value
    }
}
