import ArgumentParser
import CLIPModels
import DemoScenes
import Foundation
import SearchCore

/// Procedural demo data: scenes of coloured shapes with English and Chinese captions, used to train and
/// try the bundled demo model without any downloaded data.
struct DemoGalleryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-gallery",
        abstract: "Generate a gallery of procedural shape scenes with English and Chinese captions.",
        discussion: """
              clip-search demo-gallery --out demo --count 200
              clip-search demo-gallery --out data --count 8000 --held-out-count 400 --size 64
              clip-search demo-gallery evaluate --model demo --count 300
            """,
        subcommands: [DemoGalleryWriteCommand.self, DemoGalleryEvaluateCommand.self, DemoGalleryTextsCommand.self],
        defaultSubcommand: DemoGalleryWriteCommand.self)
}

struct DemoGalleryWriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write",
        abstract: "Write scene images (PNG) and, with --captions or --held-out-count, pairs files (TSV image<TAB>caption).",
        discussion: """
        Without --held-out-count the scenes use every colour–shape pairing and --captions writes captions.tsv \
        (one English and one Chinese row per image), captions-en.tsv and captions-zh.tsv. With --held-out-count \
        the --count training scenes never show the held-out pairings (red triangle, blue star, green circle, \
        yellow square, purple cross, orange diamond); the held-out scenes show only those, with full captions \
        in heldout-en.tsv and heldout-zh.tsv, and train.tsv holds the training pairs.
        """)

    @Option(help: "Output folder (created if missing).")
    var out: String
    @Option(help: "Number of scenes (training scenes with --held-out-count).")
    var count = 200
    @Option(help: "Seed: the same seed gives the same images and captions.")
    var seed: UInt64 = 1
    @Option(help: "Image side in pixels.")
    var size = 128
    @Flag(help: "Also write the pairs files.")
    var captions = false
    @Option(help: "Also write this many scenes of held-out pairings, and a train/held-out split.")
    var heldOutCount: Int?

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1, got \(count)") }
        guard (16...1024).contains(size) else { throw ValidationError("--size must be 16–1024, got \(size)") }
        if let heldOutCount, heldOutCount < 1 { throw ValidationError("--held-out-count must be at least 1, got \(heldOutCount)") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: (out as NSString).expandingTildeInPath)
        guard let heldOutCount else {
            let samples = try DemoDataset.samples(count: count, seed: seed, pairings: DemoDataset.allPairings)
            let names = try DemoDataset.writeImages(samples, to: folder, prefix: "scene", size: size)
            if captions {
                try writeBilingual(samples, names, to: folder.appendingPathComponent("captions.tsv"))
                try writePerLanguage(samples, names, to: folder, prefix: "captions")
            }
            print("wrote \(names.count) scenes to \(folder.path)" + (captions ? " with captions.tsv, captions-en.tsv, captions-zh.tsv" : ""))
            return
        }
        let training = try DemoDataset.samples(count: count, seed: seed, pairings: DemoDataset.trainingPairings)
        let heldOut = try DemoDataset.samples(
            count: heldOutCount, seed: DemoDataset.mix(seed, 1), pairings: ColourShape.heldOut, styles: [(.plain, 1)])
        let trainingNames = try DemoDataset.writeImages(training, to: folder, prefix: "train", size: size)
        let heldOutNames = try DemoDataset.writeImages(heldOut, to: folder, prefix: "heldout", size: size)
        try writeBilingual(training, trainingNames, to: folder.appendingPathComponent("train.tsv"))
        try writePerLanguage(heldOut, heldOutNames, to: folder, prefix: "heldout")
        print("wrote \(trainingNames.count) training and \(heldOutNames.count) held-out scenes to \(folder.path)")
        print("held-out pairings: " + ColourShape.heldOut.map(\.description).joined(separator: ", "))
    }

    /// `<prefix>-en.tsv` and `<prefix>-zh.tsv`: one row per image in each language.
    func writePerLanguage(_ samples: [DemoSample], _ names: [String], to folder: URL, prefix: String) throws {
        for language in CaptionLanguage.allCases {
            try DemoDataset.writePairs(zip(names, samples).map { ($0, $1.caption(language)) },
                                       to: folder.appendingPathComponent("\(prefix)-\(language.rawValue).tsv"))
        }
    }

    /// One English and one Chinese row per image.
    func writeBilingual(_ samples: [DemoSample], _ names: [String], to url: URL) throws {
        let rows = zip(names, samples).flatMap { name, sample in
            CaptionLanguage.allCases.map { (image: name, caption: sample.caption($0)) }
        }
        try DemoDataset.writePairs(rows, to: url)
    }
}

struct DemoGalleryEvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Zero-shot colour and shape accuracy, and caption accuracy, of a model on freshly rendered scenes.")

    @OptionGroup var model: ModelOptions
    @Option(help: "Scenes to render.")
    var count = 300
    @Option(help: "Seed of the scenes (use one the training data did not use).")
    var seed: UInt64 = 20_240_601
    @Option(help: "Rendered image side in pixels.")
    var size = 64
    @Option(help: "Pairings shown: heldout, training or all.")
    var pairings = "heldout"
    @Flag(help: "One JSON object per language.")
    var json = false

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1, got \(count)") }
        guard ["heldout", "training", "all"].contains(pairings) else {
            throw ValidationError("--pairings takes heldout, training or all, got '\(pairings)'")
        }
    }

    func run() throws {
        let searchModel = try model.load()
        let chosen = pairings == "heldout" ? ColourShape.heldOut : pairings == "training" ? DemoDataset.trainingPairings : DemoDataset.allPairings
        let samples = try DemoDataset.samples(count: count, seed: seed, pairings: chosen, styles: [(.plain, 1)])
        for language in CaptionLanguage.allCases {
            // English labels go through the same photo prompts as `classify`; Chinese ones through Chinese prompts.
            let templates = language == .english ? PromptTemplates.photo : ["{}", "一张{}的照片"]
            let report = try ZeroShotEvaluation.evaluate(
                embedder: searchModel.embedder, samples: samples, size: size, language: language, templates: templates)
            if json {
                let data = try JSONEncoder().encode(report)
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(String(format: "%@ (%d %@ scenes): colour %.1f%% (chance %.1f%%), shape %.1f%% (chance %.1f%%), full caption %.1f%%",
                             language.rawValue, report.scenes, pairings, report.colourAccuracy * 100, ZeroShotEvaluation.colourChance * 100,
                             report.shapeAccuracy * 100, ZeroShotEvaluation.shapeChance * 100, report.captionAccuracy * 100))
            }
        }
    }
}

/// Every caption the grammar can produce and the classification prompts, one per line: the texts the
/// demo tokenizer must encode exactly as the full CLIP vocabulary does.
struct DemoGalleryTextsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "texts", abstract: "Print every caption and zero-shot prompt the demo uses, one per line.")

    func run() throws {
        var lines = CaptionGrammar.allCaptions()
        for language in CaptionLanguage.allCases {
            let templates = language == .english ? PromptTemplates.photo : ["{}", "一张{}的照片"]
            for label in CaptionGrammar.colourLabels(language) + CaptionGrammar.shapeLabels(language) {
                lines += templates.map { $0.replacingOccurrences(of: "{}", with: label) }
            }
        }
        print(lines.joined(separator: "\n"))
    }
}
