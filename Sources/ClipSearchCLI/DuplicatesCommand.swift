import ArgumentParser
import Foundation
import SearchCore

struct DuplicatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "duplicates",
        abstract: "Groups of near-duplicate photos in the catalog (resized, recompressed, slightly cropped copies).",
        discussion: """
            Every pair of stored vectors is compared (exact, with BLAS). Pairs with cosine at least the threshold \
            (default \(DuplicateFinder.candidateThreshold)) are candidates; each candidate pair is then confirmed by \
            comparing the photos' pixels (grayscale 64×64, allowing up to 20% crop or zoom per axis), so other shots of the \
            same scene are not grouped whatever the model. --similar skips the pixel check and groups by cosine \
            alone (default threshold \(DuplicateFinder.similarThreshold)): bursts and similar shots.
              clip-search duplicates
              clip-search duplicates --similar --threshold 0.88 --json
            """)

    @OptionGroup var catalog: CatalogOptions

    @Option(help: "Model whose vectors to compare (default: $CLIPSEARCH_MODEL, else the catalog's only model).")
    var model: String?

    @Option(help: "Cosine at or above which two photos are candidates (verified) or grouped (--similar).")
    var threshold: Float?

    @Flag(help: "Group similar shots by cosine alone, without the pixel check.")
    var similar = false

    @Flag(help: "One JSON array of groups.")
    var json = false

    func validate() throws {
        if let threshold { guard threshold > -1, threshold <= 1 else { throw ValidationError("--threshold must be in (-1, 1]") } }
    }

    func run() throws {
        let database = try catalog.open(createIfMissing: false)
        let requested = try ModelOptions.identifier(ifGiven: model)
        let modelID = try DuplicateFinder.modelID(catalog: database, requested: requested)
        let mode: DuplicateMode = similar ? .similar : .verified
        let (groups, unreadable) = try DuplicateFinder.find(catalog: database, modelID: modelID, mode: mode, threshold: threshold)
        let output = LineOutput()
        for path in unreadable { output.warn("warning: cannot read \(path) to compare pixels; left out") }
        if json {
            output.write("[" + groups.map { group in
                "{\"minimum_score\":\(group.minimumScore),\"verified\":\(group.verified),\"members\":[" + group.members.map {
                    "{\"path\":\(JSONText.string($0.path)),\"score\":\($0.score),\"media_id\":\($0.mediaID)"
                        + ($0.pixelScore.map { ",\"pixel_score\":\($0)" } ?? "") + "}"
                }.joined(separator: ",") + "]}"
            }.joined(separator: ",") + "]")
        } else {
            let used = threshold ?? DuplicateFinder.defaultThreshold(for: mode)
            if groups.isEmpty { output.warn("no \(similar ? "similar photos" : "near-duplicates") at threshold \(used)") }
            for (index, group) in groups.enumerated() {
                output.write("group \(index + 1): \(group.members.count) photos, lowest similarity \(formatScore(group.minimumScore))")
                for member in group.members {
                    let pixels = member.pixelScore.map { "  pixels " + formatScore($0) } ?? ""
                    output.write("  " + formatScore(member.score) + pixels + "  " + member.path)
                }
            }
        }
        output.flush()
    }
}
