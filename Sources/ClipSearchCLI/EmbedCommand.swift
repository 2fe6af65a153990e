import ArgumentParser
import CLIPModels
import Foundation
import ModelStore

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print L2-normalised CLIP embeddings of texts and images, one JSON object per line.",
        discussion: "Texts come first, in the order given, then images. A file that cannot be decoded is reported on standard error and the command exits with status 1 after printing the others.")

    @Option(help: "Model folder (Hugging Face, OpenCLIP or Chinese-CLIP layout) or hub id.")
    var model: String

    @Flag(help: "Use only models already in the cache (also HF_HUB_OFFLINE=1).")
    var offline = false

    @Option(name: .customLong("text"), help: "A text to embed (repeatable).")
    var texts: [String] = []

    @Option(name: .customLong("image"), help: "An image file to embed (repeatable).")
    var images: [String] = []

    @Flag(help: "Decode large JPEGs at 1/2, 1/4 or 1/8 scale (faster; no longer Pillow-exact, cosine ≥ 0.995 to the exact path).")
    var fastDecode = false

    @OptionGroup var precision: PrecisionOptions

    func validate() throws {
        guard !texts.isEmpty || !images.isEmpty else {
            throw ValidationError("nothing to embed: give at least one --text or --image")
        }
    }

    func run() throws {
        precision.apply()
        let embedder = try CLIPEmbedder.load(directory: try ModelResolver.resolve(model, offline: offline))
        let output = LineOutput()
        for (text, vector) in zip(texts, try embedder.embed(texts: texts)) {
            output.write("{\"type\":\"text\",\"input\":\(JSONText.string(text)),\"embedding\":\(JSONText.floats(vector))}")
        }
        var failures = 0
        let results = embedder.embed(imageFiles: images.map { URL(fileURLWithPath: $0) }, decoding: fastDecode ? .scaledJPEG : .exact)
        for (path, result) in zip(images, results) {
            switch result {
            case .success(let vector):
                output.write("{\"type\":\"image\",\"input\":\(JSONText.string(path)),\"embedding\":\(JSONText.floats(vector))}")
            case .failure(let error):
                failures += 1
                output.warn("error: \(error)")
            }
        }
        output.flush()
        if failures > 0 { throw ExitCode(1) }
    }
}

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of texts (start and end tokens included, no padding), one JSON object per line.")

    @Option(help: "Model folder (any supported family) or hub id; only its tokenizer files are read.")
    var model: String

    @Flag(help: "Use only models already in the cache (also HF_HUB_OFFLINE=1).")
    var offline = false

    @Argument(help: "Texts to tokenize.")
    var texts: [String] = []

    func validate() throws {
        guard !texts.isEmpty else { throw ValidationError("give at least one text to tokenize") }
    }

    func run() throws {
        let tokenizer = try ModelFamilyLoader.tokenizer(directory: try ModelResolver.resolve(model, offline: offline))
        let output = LineOutput()
        for text in texts {
            output.write("{\"input\":\(JSONText.string(text)),\"ids\":\(JSONText.integers(tokenizer.encode(text)))}")
        }
        output.flush()
    }
}
