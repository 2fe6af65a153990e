import DemoScenes
import XCTest

final class CaptionAndSplitTests: XCTestCase {
    func testFullCaptionsNameEveryAttributeInBothLanguages() {
        for scene in SceneDescription.all {
            for style in CaptionStyle.allCases where style.isFull {
                let english = CaptionGrammar.caption(for: scene, language: .english, style: style)
                let chinese = CaptionGrammar.caption(for: scene, language: .chinese, style: style)
                let noun = scene.count == 1 ? scene.shape.english : scene.shape.englishPlural
                for word in [scene.colour.english, scene.size.english, noun, scene.position.englishPhrase] {
                    XCTAssertTrue(english.contains(word), "'\(english)' lacks '\(word)'")
                }
                for word in [scene.colour.chinese, scene.size.chinese, scene.shape.chinese, scene.position.chinese] {
                    XCTAssertTrue(chinese.contains(word), "'\(chinese)' lacks '\(word)'")
                }
            }
        }
        let scene = SceneDescription(shape: .circle, colour: .red, size: .small, position: .left, count: 2)
        XCTAssertEqual(CaptionGrammar.caption(for: scene, language: .english), "two small red circles on the left")
        XCTAssertEqual(CaptionGrammar.caption(for: scene, language: .chinese), "左边有两个小的红色圆形")
        let crosses = SceneDescription(shape: .cross, colour: .blue, size: .large, position: .centre, count: 3)
        XCTAssertEqual(CaptionGrammar.caption(for: crosses, language: .english, style: .existential),
                       "there are three large blue crosses in the centre")
    }

    func testEnglishAndChineseCaptionsCorrespond() {
        // Distinct scenes get distinct full captions in each language, so the two languages are in one-to-one correspondence.
        for language in CaptionLanguage.allCases {
            let captions = SceneDescription.all.map { CaptionGrammar.caption(for: $0, language: language) }
            XCTAssertEqual(Set(captions).count, SceneDescription.all.count, "\(language) captions must tell scenes apart")
        }
        // For one scene and style, both languages name the same attributes.
        for scene in SceneDescription.all {
            for style in CaptionStyle.allCases {
                let english = CaptionGrammar.caption(for: scene, language: .english, style: style)
                let chinese = CaptionGrammar.caption(for: scene, language: .chinese, style: style)
                let pairs = [(scene.colour.english, scene.colour.chinese), (scene.shape.english, scene.shape.chinese),
                             (scene.size.english, scene.size.chinese), (scene.position.englishPhrase, scene.position.chinese)]
                for (englishWord, chineseWord) in pairs {
                    XCTAssertEqual(english.contains(englishWord), chinese.contains(chineseWord), "\(english) / \(chinese)")
                }
            }
        }
    }

    func testSamplesAreSeededAndPrefixStable() throws {
        let short = try DemoDataset.samples(count: 20, seed: 9, pairings: DemoDataset.allPairings)
        let long = try DemoDataset.samples(count: 50, seed: 9, pairings: DemoDataset.allPairings)
        XCTAssertEqual(short, Array(long.prefix(20)))
        let other = try DemoDataset.samples(count: 20, seed: 10, pairings: DemoDataset.allPairings)
        XCTAssertNotEqual(short.map(\.scene), other.map(\.scene))
        // Every attribute value occurs in a few hundred samples.
        let many = try DemoDataset.samples(count: 600, seed: 1, pairings: DemoDataset.allPairings)
        XCTAssertEqual(Set(many.map(\.scene.colour)).count, ShapeColour.allCases.count)
        XCTAssertEqual(Set(many.map(\.scene.shape)).count, ShapeKind.allCases.count)
        XCTAssertEqual(Set(many.map(\.scene.position)).count, ScenePosition.allCases.count)
        XCTAssertEqual(Set(many.map(\.scene.count)), Set(SceneDescription.counts))
        XCTAssertEqual(Set(many.map(\.englishStyle)).count, CaptionStyle.allCases.count)
        XCTAssertThrowsError(try DemoDataset.samples(count: -1, seed: 1, pairings: DemoDataset.allPairings))
        XCTAssertThrowsError(try DemoDataset.samples(count: 1, seed: 1, pairings: []))
    }

    func testHeldOutSplitExcludesTheHeldOutPairings() throws {
        let heldOut = Set(ColourShape.heldOut)
        XCTAssertEqual(DemoDataset.trainingPairings.count + heldOut.count, ShapeColour.allCases.count * ShapeKind.allCases.count)
        // Every colour and shape is still trained on through other pairings.
        XCTAssertEqual(Set(DemoDataset.trainingPairings.map(\.colour)).count, ShapeColour.allCases.count)
        XCTAssertEqual(Set(DemoDataset.trainingPairings.map(\.shape)).count, ShapeKind.allCases.count)
        let training = try DemoDataset.samples(count: 3000, seed: 1, pairings: DemoDataset.trainingPairings)
        XCTAssertTrue(training.allSatisfy { !heldOut.contains($0.scene.colourShape) })
        // Also in the captions: no training caption names a held-out pairing (e.g. "red triangle").
        for sample in training {
            for pairing in heldOut {
                XCTAssertFalse(sample.caption(.english).contains("\(pairing.colour.english) \(pairing.shape.english)"))
                XCTAssertFalse(sample.caption(.chinese).contains(pairing.colour.chinese + pairing.shape.chinese))
            }
        }
        let held = try DemoDataset.samples(count: 300, seed: DemoDataset.mix(1, 1), pairings: ColourShape.heldOut, styles: [(.plain, 1)])
        XCTAssertTrue(held.allSatisfy { heldOut.contains($0.scene.colourShape) })
        XCTAssertEqual(Set(held.map(\.scene.colourShape)), heldOut)
    }

    func testPairsFileFormat() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("demo-pairs-\(UUID().uuidString).tsv")
        defer { try? FileManager.default.removeItem(at: url) }
        try DemoDataset.writePairs([("a.png", "a red circle"), ("a.png", "红色圆形")], to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "image\tcaption\na.png\ta red circle\na.png\t红色圆形\n")
        XCTAssertThrowsError(try DemoDataset.writePairs([], to: URL(fileURLWithPath: "/nonexistent-folder/x.tsv"))) {
            XCTAssertTrue("\($0)".contains("/nonexistent-folder/x.tsv"))
        }
    }
}
