import ArgumentParser
import Catalog
import Foundation
import Media
import SearchCore

/// How `export` and `thumbnail` name a moment instead of a video and times: text copied from a
/// search result (`--moment`), or a search run on the spot (`--query`).
struct MomentSelection: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A moment as `search` prints it, or - to read it from standard input.",
        discussion: "The table text ('<path> @ 00:12:31–00:12:44', a whole row works too), one result of search --json, "
            + "or the whole JSON array / table (then --rank picks the result)."))
    var moment: String?

    @Option(help: "Search the catalog for this text (or image path) and use its best video moment (see --rank).")
    var query: String?

    @Option(help: "Which result of --moment's list or --query's video moments (default 1).")
    var rank: Int?

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var model: ModelOptions

    var isGiven: Bool { moment != nil || query != nil }

    func validate() throws {
        guard !(moment != nil && query != nil) else { throw ValidationError("--moment and --query exclude each other") }
        if let rank, rank < 1 { throw ValidationError("--rank must be at least 1") }
        guard rank == nil || isGiven else { throw ValidationError("--rank needs --moment or --query") }
    }

    /// The moment named by --moment or found by --query.
    func resolve() throws -> MomentReference {
        if let moment {
            let text = moment == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : moment
            return try MomentReference.parse(text, rank: rank, argument: "--moment")
        }
        guard let query else { throw ValidationError("give --moment, --query, or a video with times") }
        let searcher = try Searcher(catalog: try catalog.open(createIfMissing: false), model: try model.load(), mediaType: .video)
        let wanted = rank ?? 1
        let results = try MomentSearch(searcher: searcher).search(try Query.parse([query]), top: wanted)
        guard results.count >= wanted, let moment = results[wanted - 1].moment else {
            throw SearchError.invalidOption(name: "rank", reason: "--query '\(query)' found \(results.count) video moment(s), not \(wanted)")
        }
        return MomentReference(path: results[wanted - 1].path, start: moment.start, end: moment.end, peak: moment.peakTime)
    }
}
