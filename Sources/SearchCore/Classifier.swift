import Foundation

public struct LabelScore: Sendable, Equatable {
    public var label: String
    /// softmax(logit_scale × cosine) over the labels.
    public var probability: Float
    public var cosine: Float
}

/// Zero-shot classification with CLIP's prompt ensembling: each label is written into every
/// template, the unit text embeddings are averaged and renormalised into one label vector;
/// an image's probabilities are softmax(logit_scale × cosine) over the label vectors.
public struct Classifier: Sendable {
    public let labels: [String]
    /// One unit vector per label.
    public let labelVectors: [[Float]]
    public let logitScale: Float

    public init(model: SearchModel, labels: [String], templates: [String] = PromptTemplates.photo) throws {
        let cleaned = labels.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard cleaned.count >= 2 else { throw SearchError.labelsMissing(reason: "give at least two labels, got \(cleaned.count)") }
        guard Set(cleaned).count == cleaned.count else { throw SearchError.labelsMissing(reason: "labels repeat") }
        guard !templates.isEmpty, templates.allSatisfy({ $0.contains("{}") }) else {
            throw SearchError.labelsMissing(reason: "every template needs a {} placeholder")
        }
        var vectors: [[Float]] = []
        for label in cleaned {
            let prompts = templates.map { $0.replacingOccurrences(of: "{}", with: label) }
            vectors.append(Self.meanDirection(try model.embedder.embed(texts: prompts)))
        }
        self.labels = cleaned
        self.labelVectors = vectors
        self.logitScale = model.embedder.model.logitScale
    }

    /// Average of unit vectors, renormalised.
    static func meanDirection(_ vectors: [[Float]]) -> [Float] {
        guard let dimension = vectors.first?.count else { return [] }
        var sum = [Float](repeating: 0, count: dimension)
        for vector in vectors { for index in 0..<dimension { sum[index] += vector[index] } }
        let norm = max(sum.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        return sum.map { $0 / norm }
    }

    /// Labels by decreasing probability for a unit image vector.
    public func classify(vector: [Float]) -> [LabelScore] {
        let cosines = labelVectors.map { label in zip(label, vector).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        let logits = cosines.map { logitScale * $0 }
        let maximum = logits.max() ?? 0
        let exponentials = logits.map { exp($0 - maximum) }
        let total = exponentials.reduce(0, +)
        return zip(labels, zip(exponentials, cosines)).map { LabelScore(label: $0.0, probability: $0.1.0 / total, cosine: $0.1.1) }
            .sorted { $0.probability > $1.probability }
    }

    /// Reads labels from a file: one per line, or comma-separated; `#` starts a comment line.
    public static func labels(fileAt path: String) throws -> [String] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw SearchError.labelsMissing(reason: "\(path): \(error.localizedDescription)")
        }
        return text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("#") }
            .flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
