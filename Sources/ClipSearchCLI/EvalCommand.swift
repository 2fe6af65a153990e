import ArgumentParser
import CLIPModels
import Foundation
import Training

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Print text→image and image→text recall@1/5/10 and the mean contrastive loss on image–caption pairs.",
        discussion: "The model folder is a Hugging Face CLIP or Chinese-CLIP checkpoint (its own tokenizer and preprocessing).")

    @Option(help: "Model folder in the Hugging Face layout.")
    var model: String
    @Option(help: "Pairs file: .tsv, .csv or .jsonl of image path and caption.")
    var data: String
    @Option(help: "Pairs per batch for the mean loss.")
    var batchSize: Int = 32
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard batchSize >= 2 else { throw ValidationError("--batch-size must be at least 2") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: model)
        let trainable = try TrainableModel.load(directory: directory)
        let dataset = try TrainingSession.dataset(
            file: URL(fileURLWithPath: data), model: trainable, modelDirectory: directory, log: TrainingCommandSupport.warnOrPrint)
        let metrics = try ContrastiveTrainer(model: trainable).evaluate(dataset, indices: Array(0..<dataset.count), batchSize: batchSize)
        if json {
            var object: [String: Any] = ["pairs": metrics.pairCount, "mean_loss": metrics.meanLoss]
            for k in RetrievalMetrics.ranks {
                object["text_to_image_recall@\(k)"] = metrics.textToImageRecall[k] ?? 0
                object["image_to_text_recall@\(k)"] = metrics.imageToTextRecall[k] ?? 0
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            TrainingCommandSupport.output(String(decoding: data, as: UTF8.self))
        } else {
            TrainingCommandSupport.output(metrics.summary)
        }
    }
}
