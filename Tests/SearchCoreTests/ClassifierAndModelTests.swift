import XCTest
@testable import SearchCore

final class ClassifierAndModelTests: XCTestCase {
    func testPromptEnsemblingAndSoftmax() throws {
        let model = try SearchFixtures.searchModel()
        let classifier = try Classifier(model: model, labels: ["cat", " dog ", "car"], templates: ["a photo of a {}.", "a blurry photo of a {}."])
        XCTAssertEqual(classifier.labels, ["cat", "dog", "car"])
        // The label vector is the renormalised mean of the per-template text embeddings.
        let prompts = try model.embedder.embed(texts: ["a photo of a dog.", "a blurry photo of a dog."])
        let mean = zip(prompts[0], prompts[1]).map { ($0 + $1) / 2 }
        let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for (value, expected) in zip(classifier.labelVectors[1], mean.map { $0 / norm }) { XCTAssertEqual(value, expected, accuracy: 1e-5) }

        // An image vector equal to a label vector ranks that label first; probabilities sum to one
        // and follow softmax(logit_scale × cosine).
        let scores = classifier.classify(vector: classifier.labelVectors[2])
        XCTAssertEqual(scores.first?.label, "car")
        XCTAssertEqual(scores.first?.cosine ?? 0, 1, accuracy: 1e-5)
        XCTAssertEqual(scores.map(\.probability).reduce(0, +), 1, accuracy: 1e-5)
        let ratio = scores[0].probability / scores[1].probability
        XCTAssertEqual(log(ratio), model.embedder.model.logitScale * (scores[0].cosine - scores[1].cosine), accuracy: 1e-3)
        XCTAssertGreaterThan(PromptTemplates.photo.count, 30)
        XCTAssertTrue(PromptTemplates.photo.allSatisfy { $0.contains("{}") })
    }

    func testLabelErrors() throws {
        let model = try SearchFixtures.searchModel()
        XCTAssertThrowsError(try Classifier(model: model, labels: ["cat"]))
        XCTAssertThrowsError(try Classifier(model: model, labels: ["cat", "cat"]))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("labels-\(UUID().uuidString).txt")
        try "# animals\ncat\ndog, bird\n\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertEqual(try Classifier.labels(fileAt: file.path), ["cat", "dog", "bird"])
    }

    func testModelArgumentAndFingerprint() throws {
        XCTAssertEqual(try modelArgument("x", environment: ["CLIPSEARCH_MODEL": "y"]), "x")
        XCTAssertEqual(try modelArgument(nil, environment: ["CLIPSEARCH_MODEL": "y"]), "y")
        XCTAssertThrowsError(try modelArgument(nil, environment: [:], executableDirectory: nil)) { XCTAssertTrue("\($0)".contains("CLIPSEARCH_MODEL")) }
        XCTAssertThrowsError(try resolveModelDirectory("/nonexistent/model")) { XCTAssertTrue("\($0)".contains("/nonexistent/model")) }
        let quick = try SearchModel.fingerprint(directory: SearchFixtures.model("tiny-quickgelu"))
        XCTAssertEqual(quick, try SearchModel.fingerprint(directory: SearchFixtures.model("tiny-quickgelu")))
        XCTAssertNotEqual(quick, try SearchModel.fingerprint(directory: SearchFixtures.model("tiny-gelu")))
        XCTAssertTrue(quick.hasPrefix("sha256:"))
    }
}
