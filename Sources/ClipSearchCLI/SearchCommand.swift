import ArgumentParser
import Catalog
import Foundation
import SearchCore

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find photos by text, by example image, or a weighted combination.",
        discussion: """
            Terms are texts or image paths (an argument naming an existing file is an image), joined by + and - \
            as separate arguments; N:term weights a term. Each term's unit embedding is multiplied by its signed \
            weight, the sum is renormalised, and photos are ranked by cosine to it. Put -- before the query when \
            it starts with '-'.
              clip-search search golden retriever on a beach
              clip-search search "golden retriever" + ./beach.jpg - people
              clip-search search 2:sunset + ./me.jpg --top 5 --json
            """)

    @Argument(help: "Query terms: texts, image paths, + and -, weights as N:term.")
    var query: [String] = []

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var model: ModelOptions

    @Option(help: "Number of results.")
    var top = 10

    @Option(help: "Only photos or only video moments (photo|video).")
    var type: MediaType?

    @Option(help: "Only results with cosine ≥ this score.")
    var threshold: Float?

    @Flag(help: "One JSON array of results.")
    var json = false

    @Flag(help: "Only the paths, one per line (for xargs).")
    var paths = false

    @Flag(help: "Show thumbnails inline when the terminal identifies as kitty, iTerm2 or a sixel terminal (foot, mlterm, TERM containing \"sixel\").")
    var preview = false

    @Option(help: "Thumbnail protocol without detection, even into a pipe (kitty|iterm2|sixel; implies --preview; also $CLIPSEARCH_PREVIEW).")
    var previewProtocol: InlineImagePreview?

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        guard !(json && paths) else { throw ValidationError("--json and --paths exclude each other") }
    }

    func run() throws {
        let terms = query.first == "--" ? Array(query.dropFirst()) : query
        let parsed = try Query.parse(terms)
        let output = LineOutput()
        for text in parsed.textsNamingFiles { output.warn("note: no file '\(text)'; searching it as text") }
        let database = try catalog.open(createIfMissing: false)
        let searcher = try Searcher(catalog: database, model: try model.load(), mediaType: type)
        // Video frames merge into moments (MomentSearch.swift); photos pass through.
        let results = try MomentSearch(searcher: searcher).search(parsed, top: top, threshold: threshold)
        if json {
            output.write("[" + results.map(MomentFormatting.json).joined(separator: ",") + "]")
        } else if paths {
            for result in results { output.write(result.path) }
        } else {
            let wantsPreview = preview || previewProtocol != nil
            let previewer = wantsPreview ? InlineImagePreview.choose(requested: previewProtocol) : nil
            if wantsPreview && previewer == nil {
                output.warn("note: --preview needs a kitty, iTerm2 or sixel terminal (or --preview-protocol); showing the table only")
            }
            if results.isEmpty { output.warn("no results" + (threshold.map { " with score ≥ \($0)" } ?? "")) }
            if !results.isEmpty { output.write("rank  score   path") }
            for result in results {
                output.write(String(format: "%4d  ", result.rank) + formatScore(result.score) + "  " + MomentFormatting.label(result))
                if let previewer, result.mediaType == .photo {
                    output.flush()
                    previewer.show(path: result.path)
                }
            }
        }
        output.flush()
    }

    static func json(_ result: SearchResult) -> String {
        "{\"rank\":\(result.rank),\"score\":\(result.score),\"path\":\(JSONText.string(result.path)),"
            + "\"media_id\":\(result.mediaID),\"type\":\"\(result.mediaType.rawValue)\",\"time\":\(result.frameTime)}"
    }
}
