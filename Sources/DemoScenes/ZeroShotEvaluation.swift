import CLIPModels
import Foundation

/// Zero-shot accuracy of a model on demo scenes: each attribute family (colour, shape) is a
/// classification over its label words, each label the mean direction of its prompts, as
/// `clip-search classify` does.
public struct ZeroShotReport: Sendable, Equatable, Codable {
    public var scenes: Int
    public var colourAccuracy: Double
    public var shapeAccuracy: Double
    /// Image→caption: fraction of images whose own full caption outranks the captions of every other
    /// scene description in the set (one caption per distinct description).
    public var captionAccuracy: Double
    public var language: CaptionLanguage
}

public enum ZeroShotEvaluation {
    /// Chance levels for comparison.
    public static var colourChance: Double { 1 / Double(ShapeColour.allCases.count) }
    public static var shapeChance: Double { 1 / Double(ShapeKind.allCases.count) }

    public static func evaluate(
        embedder: CLIPEmbedder, samples: [DemoSample], size: Int, language: CaptionLanguage, templates: [String]
    ) throws -> ZeroShotReport {
        guard !samples.isEmpty else { throw DemoScenesError.invalidArgument(name: "samples", reason: "nothing to evaluate") }
        guard !templates.isEmpty, templates.allSatisfy({ $0.contains("{}") }) else {
            throw DemoScenesError.invalidArgument(name: "templates", reason: "every template needs a {} placeholder")
        }
        let images = try embedder.embed(images: samples.map { $0.render(size: size) })
        let colours = try labelDirections(embedder, CaptionGrammar.colourLabels(language), templates)
        let shapes = try labelDirections(embedder, CaptionGrammar.shapeLabels(language), templates)
        let descriptions = Array(Set(samples.map(\.scene))).sorted { "\($0)" < "\($1)" }
        let captions = try embedder.embed(texts: descriptions.map { CaptionGrammar.caption(for: $0, language: language) })
        var correctColour = 0, correctShape = 0, correctCaption = 0
        for (sample, image) in zip(samples, images) {
            if best(image, colours) == ShapeColour.allCases.firstIndex(of: sample.scene.colour) { correctColour += 1 }
            if best(image, shapes) == ShapeKind.allCases.firstIndex(of: sample.scene.shape) { correctShape += 1 }
            if best(image, captions) == descriptions.firstIndex(of: sample.scene) { correctCaption += 1 }
        }
        let total = Double(samples.count)
        return ZeroShotReport(
            scenes: samples.count, colourAccuracy: Double(correctColour) / total, shapeAccuracy: Double(correctShape) / total,
            captionAccuracy: Double(correctCaption) / total, language: language)
    }

    /// Prompt ensembling: the renormalised sum of each label's prompt embeddings.
    static func labelDirections(_ embedder: CLIPEmbedder, _ labels: [String], _ templates: [String]) throws -> [[Float]] {
        try labels.map { label in
            let prompts = try embedder.embed(texts: templates.map { $0.replacingOccurrences(of: "{}", with: label) })
            var total = [Float](repeating: 0, count: embedder.dimension)
            for prompt in prompts { for (index, value) in prompt.enumerated() { total[index] += value } }
            let length = max(1e-12, total.reduce(0) { $0 + $1 * $1 }.squareRoot())
            return total.map { $0 / length }
        }
    }

    /// Index of the candidate with the largest dot product.
    static func best(_ vector: [Float], _ candidates: [[Float]]) -> Int? {
        var bestIndex: Int?, bestScore = -Float.infinity
        for (index, candidate) in candidates.enumerated() {
            let score = zip(vector, candidate).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            if score > bestScore { bestScore = score; bestIndex = index }
        }
        return bestIndex
    }
}
