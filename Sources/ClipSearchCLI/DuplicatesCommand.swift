import ArgumentParser
import Foundation
import SearchCore

struct DuplicatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "duplicates",
        abstract: "Groups of near-duplicate photos in the catalog (resized, recompressed, slightly cropped copies).",
        discussion: """
            Compares every pair of stored vectors (exact, with BLAS). Photos whose cosine is at least the \
            threshold are linked; linked photos form a group. Lower the threshold to also group similar shots.
              clip-search duplicates
              clip-search duplicates --threshold 0.9 --json
            """)

    @OptionGroup var catalog: CatalogOptions

    @Option(help: "Model whose vectors to compare (default: $CLIPSEARCH_MODEL, else the catalog's only model).")
    var model: String?

    @Option(help: "Cosine at or above which two photos are duplicates.")
    var threshold: Float = DuplicateFinder.defaultThreshold

    @Flag(help: "One JSON array of groups.")
    var json = false

    func validate() throws {
        guard threshold > -1, threshold <= 1 else { throw ValidationError("--threshold must be in (-1, 1]") }
    }

    func run() throws {
        let database = try catalog.open(createIfMissing: false)
        let requested = try ModelOptions.identifier(ifGiven: model)
        let modelID = try DuplicateFinder.modelID(catalog: database, requested: requested)
        let groups = try DuplicateFinder.find(catalog: database, modelID: modelID, threshold: threshold)
        let output = LineOutput()
        if json {
            output.write("[" + groups.map { group in
                "{\"minimum_score\":\(group.minimumScore),\"members\":[" + group.members.map {
                    "{\"path\":\(JSONText.string($0.path)),\"score\":\($0.score),\"media_id\":\($0.mediaID)}"
                }.joined(separator: ",") + "]}"
            }.joined(separator: ",") + "]")
        } else {
            if groups.isEmpty { output.warn("no near-duplicates at threshold \(threshold)") }
            for (index, group) in groups.enumerated() {
                output.write("group \(index + 1): \(group.members.count) photos, lowest similarity \(formatScore(group.minimumScore))")
                for member in group.members { output.write("  " + formatScore(member.score) + "  " + member.path) }
            }
        }
        output.flush()
    }
}
