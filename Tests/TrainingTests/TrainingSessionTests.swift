import CLIPModels
import Foundation
import TensorCore
import XCTest

@testable import Training

/// Pairs files, end-to-end training runs, checkpoints and resuming.
final class TrainingSessionTests: XCTestCase {
    static let photos = [
        ("chelsea-rgba.png", "a cat"), ("coffee-rgb.png", "a cup of coffee"), ("rocket-baseline-420.jpg", "a rocket"),
        ("astronaut-progressive.jpg", "an astronaut"), ("camera-gray.png", "a man with a camera"),
        ("hubble-tiny.jpg", "a space telescope"), ("motorcycle-exif2.jpg", "a motorcycle"), ("logo-palette4bit.png", "a logo"),
    ]
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("training-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func photoPath(_ name: String) -> String { TrainingFixtures.root.appendingPathComponent("photos").appendingPathComponent(name).path }

    func writePairs(_ name: String = "pairs.tsv") throws -> URL {
        let lines = ["image\tcaption"] + Self.photos.map { "\(photoPath($0.0))\t\($0.1)" }
        let url = folder.appendingPathComponent(name)
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func testPairsFormatsRelativePathsAndBadRows() throws {
        let photos = TrainingFixtures.root.appendingPathComponent("photos")
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("photos"), withDestinationURL: photos)
        let csv = "image,caption\nphotos/coffee-rgb.png,\"a cup, of \"\"coffee\"\"\"\nonly-one-field\nphotos/missing.jpg,a ghost\n"
        try csv.write(to: folder.appendingPathComponent("pairs.csv"), atomically: true, encoding: .utf8)
        let (csvPairs, csvWarnings) = try PairsFile.read(folder.appendingPathComponent("pairs.csv"))
        XCTAssertEqual(csvPairs.map(\.caption), ["a cup, of \"coffee\""])
        XCTAssertEqual(csvPairs.first?.image.lastPathComponent, "coffee-rgb.png")
        XCTAssertEqual(csvWarnings.count, 2, "\(csvWarnings)")
        XCTAssertTrue(csvWarnings[0].contains("pairs.csv:3"), csvWarnings[0])
        XCTAssertTrue(csvWarnings[1].contains("missing.jpg"), csvWarnings[1])

        let jsonl = "{\"image\": \"photos/rocket-baseline-420.jpg\", \"caption\": \"火箭\"}\nnot json\n{\"path\": \"photos/coffee-rgb.png\", \"text\": \"coffee\"}\n"
        try jsonl.write(to: folder.appendingPathComponent("pairs.jsonl"), atomically: true, encoding: .utf8)
        let (jsonPairs, jsonWarnings) = try PairsFile.read(folder.appendingPathComponent("pairs.jsonl"))
        XCTAssertEqual(jsonPairs.map(\.caption), ["火箭", "coffee"])
        XCTAssertEqual(jsonWarnings.count, 1)

        try "nothing\there\n".write(to: folder.appendingPathComponent("empty.tsv"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PairsFile.read(folder.appendingPathComponent("empty.tsv"))) { error in
            XCTAssertTrue("\(error)".contains("empty.tsv"), "\(error)")
        }
    }

    func testRecallFromSimilarities() {
        // Image 0 ranks text 1 above its own; everything else is matched first.
        let similarities = Tensor(shape: [3, 3], values: [0.5, 0.6, 0.1, 0.2, 0.8, 0.3, 0.1, 0.0, 0.7])
        let (textToImage, imageToText) = RetrievalMetrics.recalls(similarities: similarities)
        XCTAssertEqual(imageToText[1]!, 2.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(imageToText[5]!, 1)
        XCTAssertEqual(textToImage[1]!, 1, "each text's own image scores highest in its column")
    }

    func options(out: URL, steps: Int?, resume: Bool = false) throws -> TrainingOptions {
        var options = TrainingOptions(modelDirectory: TrainingFixtures.model("tiny-quickgelu"), dataFile: try writePairs(), outputDirectory: out)
        options.batchSize = 3
        options.learningRate = 1e-3
        options.heldOutFraction = 0.25
        options.maximumSteps = steps
        options.epochs = 3
        options.resume = resume
        options.seed = 5
        options.warmupSteps = 1
        options.clipNorm = 5
        return options
    }

    /// A learning rate that blows the weights up stops the run at the first non-finite loss, before any
    /// NaN checkpoint is written; a non-finite weight decay is refused up front.
    func testDivergingRunStopsWithoutSavingAndNaNWeightDecayIsRefused() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("diverge-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        var diverging = try options(out: out, steps: 6)
        diverging.learningRate = 1e30
        diverging.clipNorm = nil
        XCTAssertThrowsError(try TrainingSession(options: diverging) { _ in }.run()) { error in
            guard case TrainingError.diverged = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("--learning-rate"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path))

        var badDecay = try options(out: out, steps: 1)
        badDecay.optimizer.weightDecay = .nan
        XCTAssertThrowsError(try TrainingSession(options: badDecay) { _ in }.run()) { error in
            XCTAssertTrue("\(error)".contains("--weight-decay"), "\(error)")
        }
    }

    func testTrainingRunCheckpointsAndResumesExactly() throws {
        var messages: [String] = []
        let straight = folder.appendingPathComponent("straight")
        let summary = try TrainingSession(options: try options(out: straight, steps: 5)) { messages.append($0) }.run()
        XCTAssertEqual(summary.steps, 5)
        XCTAssertNotNil(summary.baseline)
        XCTAssertTrue(messages.contains { $0.contains("pairs/s") && $0.contains("loss") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("R@1") }, "\(messages)")

        // Stopped as Ctrl-C stops it: asked after each step, the second answer is yes.
        let interrupted = folder.appendingPathComponent("interrupted")
        var asked = 0
        var stopMessages: [String] = []
        let stopped = try TrainingSession(options: try options(out: interrupted, steps: 5), shouldStop: { asked += 1; return asked == 2 }) {
            stopMessages.append($0)
        }.run()
        XCTAssertTrue(stopped.interrupted)
        XCTAssertEqual(stopped.steps, 2)
        XCTAssertTrue(stopMessages.contains { $0.contains("interrupted at step 2 of 5") && $0.contains("--resume") }, "\(stopMessages)")
        let state = try Checkpoint.loadState(from: interrupted)
        XCTAssertEqual(state.step, 2)
        var resumed = try options(out: interrupted, steps: 5, resume: true)
        resumed.maximumSteps = 5
        _ = try TrainingSession(options: resumed) { _ in }.run()

        let original = try CLIPModel.load(directory: TrainingFixtures.model("tiny-quickgelu"), packWeights: false)
        let first = try CLIPModel.load(directory: straight, packWeights: false), second = try CLIPModel.load(directory: interrupted, packWeights: false)
        for name in ["visual_projection.weight", "text_model.encoder.layers.0.mlp.fc1.weight", "logit_scale"] {
            XCTAssertNotEqual(first.parameters[name].values, original.parameters[name].values, "\(name) did not train")
            XCTAssertEqual(first.parameters[name].values, second.parameters[name].values, "\(name): resumed run differs")
        }
        for file in ["config.json", "vocab.json", "merges.txt", "preprocessor_config.json", "training_state.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: straight.appendingPathComponent(file).path), file)
        }
    }

    /// Without --resume an existing run is not overwritten; a resume whose pairs, seed or batches differ
    /// from the saved run is refused by name; a finished run says so instead of silently doing nothing.
    func testExistingRunIsKeptAndResumeMustMatchTheSavedRun() throws {
        let out = folder.appendingPathComponent("kept")
        _ = try TrainingSession(options: try options(out: out, steps: 1)) { _ in }.run()
        let weights = try Data(contentsOf: out.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try TrainingSession(options: try options(out: out, steps: 2)) { _ in }.run()) { error in
            XCTAssertTrue("\(error)".contains("--resume") && "\(error)".contains(out.path), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("model.safetensors")), weights, "the saved run is untouched")

        var otherSeed = try options(out: out, steps: 2, resume: true)
        otherSeed.seed = 6
        var otherBatch = try options(out: out, steps: 2, resume: true)
        otherBatch.batchSize = 2
        var otherSplit = try options(out: out, steps: 2, resume: true)
        otherSplit.heldOutFraction = 0.5
        for (changed, word) in [(otherSeed, "--seed 5, now 6"), (otherBatch, "--batch-size 3, now 2"), (otherSplit, "held-out")] {
            XCTAssertThrowsError(try TrainingSession(options: changed) { _ in }.run()) { error in
                XCTAssertTrue("\(error)".contains(word), "expected '\(word)' in: \(error)")
            }
        }
        var messages: [String] = []
        let finished = try TrainingSession(options: try options(out: out, steps: 1, resume: true)) { messages.append($0) }.run()
        XCTAssertEqual(finished.steps, 1)
        XCTAssertTrue(messages.contains { $0.contains("already reached step 1 of 1") }, "\(messages)")
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("model.safetensors")), weights)
    }

    /// A repeated (image, caption) row is skipped with a warning naming both lines, so it cannot sit in
    /// the training and held-out sets at once; a folder given as the pairs file gets an error that says so.
    func testRepeatedPairsAreSkippedAndAFolderIsNotAPairsFile() throws {
        let lines = ["\(photoPath("coffee-rgb.png"))\ta cup", "\(photoPath("coffee-rgb.png"))\ta mug",
                     "\(photoPath("coffee-rgb.png"))\ta cup", "\(photoPath("hubble-tiny.jpg"))\ta cup"]
        let url = folder.appendingPathComponent("repeats.tsv")
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        let (pairs, warnings) = try PairsFile.read(url)
        XCTAssertEqual(pairs.map(\.line), [1, 2, 4])
        XCTAssertEqual(warnings.count, 1, "\(warnings)")
        XCTAssertTrue(warnings[0].contains("repeats.tsv:3") && warnings[0].contains("line 1"), warnings[0])

        XCTAssertThrowsError(try PairsFile.read(folder)) { error in
            XCTAssertTrue("\(error)".contains("is a folder") && "\(error)".contains(folder.path), "\(error)")
        }
    }

    func testTrainingLowersTheLossOnItsPairs() throws {
        var options = try options(out: folder.appendingPathComponent("fit"), steps: nil)
        options.heldOutFraction = 0
        options.shuffle = false
        options.batchSize = 8
        options.epochs = 12
        options.clipNorm = nil
        var losses: [Double] = []
        _ = try TrainingSession(options: options) { message in
            if let range = message.range(of: "loss ") {
                losses.append(Double(message[range.upperBound...].prefix { $0 != " " }) ?? .nan)
            }
        }.run()
        XCTAssertEqual(losses.count, 12)
        XCTAssertLessThan(losses.last!, 0.7 * losses.first!, "loss \(losses)")
    }

    func testFromScratchUsesSeededRandomWeightsAndTheGivenConfig() throws {
        var options = try options(out: folder.appendingPathComponent("scratch"), steps: 2)
        options.fromScratch = true
        options.configFile = TrainingFixtures.model("tiny-quickgelu").appendingPathComponent("config.json")
        options.selection = TrainableSelection(freezeText: true)
        _ = try TrainingSession(options: options) { _ in }.run()
        let trained = try CLIPModel.load(directory: options.outputDirectory, packWeights: false)
        let fixture = try CLIPModel.load(directory: TrainingFixtures.model("tiny-quickgelu"), packWeights: false)
        let seeded = try CLIPModel.random(configuration: fixture.configuration, seed: options.seed, packWeights: false)
        let textName = "text_model.encoder.layers.0.mlp.fc1.weight"
        XCTAssertEqual(trained.parameters[textName].values, seeded.parameters[textName].values, "frozen text tower keeps its seeded init")
        XCTAssertNotEqual(trained.parameters[textName].values, fixture.parameters[textName].values)
        XCTAssertNotEqual(trained.parameters["visual_projection.weight"].values, seeded.parameters["visual_projection.weight"].values)
    }
}
