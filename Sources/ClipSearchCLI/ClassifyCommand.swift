import ArgumentParser
import CLIPModels
import Foundation
import SearchCore

struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Zero-shot labels for images: CLIP prompt ensembling, probabilities from softmax(logit_scale × cosine).",
        discussion: """
              clip-search classify photo.jpg --labels "cat,dog,car"
              clip-search classify *.jpg --labels-file labels.txt --top 3 --json
            """)

    @Argument(help: "Image files.")
    var images: [String] = []

    @Option(help: "Comma-separated labels.")
    var labels: String?

    @Option(help: "File with labels, one per line or comma-separated.")
    var labelsFile: String?

    @OptionGroup var model: ModelOptions

    @Option(help: "Labels shown per image (default: all).")
    var top: Int?

    @Flag(help: "One JSON array with an object per image.")
    var json = false

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        guard (labels == nil) != (labelsFile == nil) else { throw ValidationError("give exactly one of --labels or --labels-file") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        let labelList = try labelsFile.map(Classifier.labels(fileAt:)) ?? (labels ?? "").split(separator: ",").map(String.init)
        let searchModel = try model.load()
        let classifier = try Classifier(model: searchModel, labels: labelList)
        let results = searchModel.embedder.embed(imageFiles: images.map { URL(fileURLWithPath: $0) }, decoding: .scaledJPEG)
        let output = LineOutput()
        var failures = 0
        var objects: [String] = []
        for (path, result) in zip(images, results) {
            switch result {
            case .success(let vector):
                let scores = Array(classifier.classify(vector: vector).prefix(top ?? classifier.labels.count))
                if json {
                    objects.append("{\"path\":\(JSONText.string(path)),\"labels\":[" + scores.map {
                        "{\"label\":\(JSONText.string($0.label)),\"probability\":\($0.probability),\"cosine\":\($0.cosine)}"
                    }.joined(separator: ",") + "]}")
                } else {
                    output.write(path)
                    let width = scores.map(\.label.count).max() ?? 0
                    for score in scores {
                        output.write("  " + score.label.padding(toLength: width, withPad: " ", startingAt: 0)
                                     + String(format: "  %6.2f%%  (cosine %.4f)", score.probability * 100, score.cosine))
                    }
                }
            case .failure(let error):
                failures += 1
                if json { objects.append("{\"path\":\(JSONText.string(path)),\"error\":\(JSONText.string("\(error)"))}") }
                output.warn("error: \(error)")
            }
        }
        if json { output.write("[" + objects.joined(separator: ",") + "]") }
        output.flush()
        if failures > 0 { throw ExitCode(1) }
    }
}
