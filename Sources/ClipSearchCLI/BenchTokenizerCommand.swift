import ArgumentParser
import Foundation
import Tokenizers

/// Tokenization throughput on one long text, for comparison with `tokenizers` and `sentencepiece`
/// (scripts/bench/tokenizer_peer.py prints the same figures for them).
struct BenchTokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-tokenizer",
        abstract: "Token ids per second on a long text, from a tokenizer.json or a SentencePiece model (developer tool).",
        usage: "clip-search bench-tokenizer <tokenizer.json | spiece.model …> <text-file> [--seconds S] [--json]")

    @Argument(help: "A tokenizer.json, or a SentencePiece model file (spiece.model, tokenizer.model, …).") var file: String
    @Argument(help: "UTF-8 text file, encoded as one string.") var textFile: String

    @OptionGroup var measurement: BenchMeasurementOptions

    func run() throws {
        let url = URL(fileURLWithPath: file)
        guard let text = try? String(contentsOf: URL(fileURLWithPath: textFile), encoding: .utf8) else {
            throw ValidationError("cannot read \(textFile) as UTF-8 text")
        }
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let encode: (String) -> [Int]
        if url.pathExtension == "json" {
            let tokenizer = try HuggingFaceTokenizer(contentsOf: url)
            encode = tokenizer.tokenIDs
        } else {
            let model = try SentencePieceModel(contentsOf: url)
            encode = model.encode
        }
        let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
        let ids = encode(text)
        let seconds = try BenchSupport.medianSeconds(for: measurement.seconds, cpuTime: measurement.cpuTime) {
            _ = encode(text)
        }
        try BenchSupport.report(
            [("ids_per_second", Double(ids.count) / seconds), ("milliseconds", seconds * 1000),
             ("load_milliseconds", loadSeconds * 1000)],
            title: "\(url.lastPathComponent): \(ids.count) ids from \(text.utf8.count) bytes",
            fields: ["ids": ids.count, "id_sum": ids.reduce(0, +), "bytes": text.utf8.count], json: measurement.json)
    }
}
