import ArgumentParser
import Foundation
import Tokenizers

/// Tokenization throughput, for comparison with `tokenizers` and `sentencepiece` (scripts/bench/tokenizer_peer.py
/// prints the same figures for them). Each line of the file is one text, as search queries are; the first pass
/// over them is timed on its own because the peers cache words and whole texts, so their later passes are
/// cache hits.
struct BenchTokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-tokenizer",
        abstract: "Token ids per second over the lines of a file, from a tokenizer.json or a SentencePiece model (developer tool).",
        usage: "clip-search bench-tokenizer <tokenizer.json | spiece.model …> <text-file> [--seconds S] [--json]")

    @Argument(help: "A tokenizer.json, or a SentencePiece model file (spiece.model, tokenizer.model, …).") var file: String
    @Argument(help: "UTF-8 text file; each non-empty line is one text.") var textFile: String

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
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        func pass() -> [Int] { lines.flatMap(encode) }
        let firstStart = DispatchTime.now().uptimeNanoseconds
        let ids = pass()
        let firstSeconds = Double(DispatchTime.now().uptimeNanoseconds - firstStart) / 1e9
        let seconds = try BenchSupport.medianSeconds(for: measurement.seconds, cpuTime: measurement.cpuTime) { _ = pass() }
        try BenchSupport.report(
            [("first_pass_ids_per_second", Double(ids.count) / firstSeconds),
             ("ids_per_second", Double(ids.count) / seconds), ("milliseconds", seconds * 1000),
             ("load_milliseconds", loadSeconds * 1000)],
            title: "\(url.lastPathComponent): \(ids.count) ids from \(lines.count) lines",
            fields: ["ids": ids.count, "id_sum": ids.reduce(0, +), "lines": lines.count], json: measurement.json)
    }
}
