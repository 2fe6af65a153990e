import CLIPModels
import DemoScenes
import Foundation
import Tokenizers
import XCTest

/// The shipped demo model (models/clipsearch-demo): its tokenizer and what it has learned.
final class DemoModelTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let modelFolder = repository.appendingPathComponent("models/clipsearch-demo")

    func tokenStrings(_ folder: URL) throws -> [Int: String] {
        let data = try Data(contentsOf: folder.appendingPathComponent("vocab.json"))
        let vocabulary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Int])
        return Dictionary(uniqueKeysWithValues: vocabulary.map { ($0.value, $0.key) })
    }

    func testDemoTokenizerMatchesTheGenuineCLIPVocabularyOnTheGrammar() throws {
        let genuineFolder = Self.repository.appendingPathComponent("Tests/Fixtures/tokenizer/clip-bpe")
        let genuine = try CLIPTokenizer(directory: genuineFolder)
        let demo = try CLIPTokenizer(directory: Self.modelFolder)
        XCTAssertLessThan(demo.vocabularySize, 5000, "the demo vocabulary is meant to be small")
        let genuineStrings = try tokenStrings(genuineFolder), demoStrings = try tokenStrings(Self.modelFolder)
        var texts = CaptionGrammar.allCaptions()
        for language in CaptionLanguage.allCases {
            texts += CaptionGrammar.colourLabels(language) + CaptionGrammar.shapeLabels(language)
        }
        XCTAssertGreaterThan(texts.count, 1000)
        for text in texts {
            let expected = genuine.encode(text).map { genuineStrings[$0] ?? "?" }
            let found = demo.encode(text).map { demoStrings[$0] ?? "!" }
            XCTAssertEqual(found, Array(expected.prefix(demo.contextLength)), text)
        }
    }

    func testShippedModelIsSmallAndRecognisesHeldOutPairings() throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.modelFolder, includingPropertiesForKeys: [.fileSizeKey])
        let bytes = try files.reduce(0) { $0 + (try $1.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0) }
        XCTAssertLessThanOrEqual(bytes, 20_000_000)
        let embedder = try CLIPEmbedder.load(directory: Self.modelFolder)
        // Scenes of colour–shape pairings the model never saw, with a seed the training data did not use.
        let samples = try DemoDataset.samples(count: 60, seed: 424_242, pairings: ColourShape.heldOut, styles: [(.plain, 1)])
        let report = try ZeroShotEvaluation.evaluate(embedder: embedder, samples: samples, size: 48, language: .english, templates: ["{}"])
        XCTAssertGreaterThan(report.colourAccuracy, 3 * ZeroShotEvaluation.colourChance, "\(report)")
        // Shape is not asserted: on held-out pairings the shipped model is still below chance (see its model card).
        // Text→image: each scene's own caption scores its image above most other scenes' images.
        let images = try embedder.embed(images: samples.map { $0.render(size: 48) })
        let texts = try embedder.embed(texts: samples.map { $0.caption(.english) })
        var beaten = 0, comparisons = 0
        for (index, text) in texts.enumerated() {
            let own = zip(text, images[index]).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            for (other, image) in images.enumerated() where samples[other].scene != samples[index].scene {
                comparisons += 1
                if zip(text, image).reduce(Float(0), { $0 + $1.0 * $1.1 }) < own { beaten += 1 }
            }
        }
        XCTAssertGreaterThan(Double(beaten) / Double(comparisons), 0.75, "chance is 0.5")
    }
}
