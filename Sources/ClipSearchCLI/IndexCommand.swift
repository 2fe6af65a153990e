import ArgumentParser
import Catalog
import Foundation
import SearchCore

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Add photos under folders to the catalog, re-embedding only what changed.",
        discussion: """
            Unchanged files (same size and modification time) are skipped without being read; moved or \
            renamed files are recognised by their content hash and keep their vectors; files that disappeared \
            from the folders leave the catalog. Ctrl-C stops after the current batch; the next run resumes.
            """)

    @Argument(help: "Folders (or single files) to index.")
    var folders: [String]

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var video: VideoIndexArguments

    @Flag(help: "Also index hidden files and folders (names starting with a dot).")
    var includeHidden = false

    @Option(help: "Files per transaction and per forward pass.")
    var batchSize = 32

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    @Flag(help: "No progress output.")
    var quiet = false

    @Option(help: .hidden)
    var pauseAfterBatch: Double = 0

    @Flag(help: "Decode JPEGs at full size (slower; only to compare with the default DCT-scaled decoding).")
    var exactDecoding = false

    func validate() throws {
        guard !folders.isEmpty else { throw ValidationError("give at least one folder to index") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        let searchModel = try model.load()
        let database = try catalog.open(createIfMissing: true)
        let runLock = try IndexRunLock(catalogPath: database.path)
        defer { withExtendedLifetime(runLock) {} }
        let interrupt = InterruptFlag()
        interrupt.install(message: "stopping after the current batch (Ctrl-C again to quit now)…")
        var options = IndexOptions(roots: folders)
        options.includeHidden = includeHidden
        options.batchSize = batchSize
        options.pauseAfterBatch = pauseAfterBatch
        let progress = ProgressDisplay(enabled: !quiet)
        let pipeline = ImagePipeline(embedder: searchModel.embedder, allowsJPEGScaling: !exactDecoding)
        var summary = try Indexer(catalog: database, model: searchModel, pipeline: pipeline).run(
            options, shouldStop: { interrupt.isRaised }, progress: progress.update)
        progress.finish()
        try indexVideos(into: &summary, model: searchModel, catalog: database, arguments: video, interrupt: interrupt)
        print(json ? summaryJSON(summary) : summaryText(summary, catalogPath: database.path))
        if summary.interrupted { throw ExitCode(130) }
    }

    func summaryText(_ summary: IndexSummary, catalogPath: String) -> String {
        let counters = summary.counters
        var lines = [
            (summary.interrupted ? "Interrupted" : "Indexed") + " \(counters.scanned) files in \(formatDuration(summary.seconds)): "
                + "\(counters.embedded) embedded, \(counters.unchanged) unchanged, \(counters.moved) moved, "
                + "\(counters.copied) copies, \(counters.removed) removed, \(counters.failed) failed",
        ]
        if counters.embedded > 0 && summary.seconds > 0 {
            lines.append(String(format: "Rate: %.1f files/s", Double(counters.embedded + counters.failed) / summary.seconds))
        }
        if !summary.failures.isEmpty {
            lines.append("Failed:")
            lines += summary.failures.map { "  \($0.path): \($0.reason)" }
        }
        lines += summary.unreadableFolders.map { "Unreadable folder (skipped): \($0)" }
        if summary.interrupted { lines.append("Run the same command again to resume.") }
        lines.append("Catalog: \(catalogPath)")
        return lines.joined(separator: "\n")
    }

    func summaryJSON(_ summary: IndexSummary) -> String {
        let counters = summary.counters
        let fields: [(String, String)] = [
            ("run_id", "\(summary.runID)"), ("interrupted", "\(summary.interrupted)"),
            ("seconds", String(format: "%.3f", summary.seconds)), ("scanned", "\(counters.scanned)"),
            ("embedded", "\(counters.embedded)"), ("unchanged", "\(counters.unchanged)"), ("moved", "\(counters.moved)"),
            ("copied", "\(counters.copied)"), ("removed", "\(counters.removed)"), ("failed", "\(counters.failed)"),
            ("failures", "[" + summary.failures.map { "{\"path\":\(JSONText.string($0.path)),\"reason\":\(JSONText.string($0.reason))}" }
                .joined(separator: ",") + "]"),
            ("unreadable_folders", "[" + summary.unreadableFolders.map(JSONText.string).joined(separator: ",") + "]"),
        ]
        return "{" + fields.map { "\(JSONText.string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// A progress bar with count, rate and ETA on a terminal; plain lines (at most one per 2 s) otherwise.
final class ProgressDisplay {
    let enabled: Bool
    let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastLine = -Double.infinity
    private var drewBar = false

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func update(_ progress: IndexProgress) {
        guard enabled, progress.total > 0 else { return }
        if progress.processed == 0 {
            standardError("indexing \(progress.total) new or changed files")
            return
        }
        let rate = progress.seconds > 0 ? Double(progress.processed) / progress.seconds : 0
        let eta = rate > 0 ? Double(progress.total - progress.processed) / rate : .infinity
        let counts = "\(progress.processed)/\(progress.total)"
        let speed = String(format: "%.1f files/s", rate)
        if isTerminal {
            let width = 30
            let filled = progress.total > 0 ? width * progress.processed / progress.total : 0
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(bar) \(counts)  \(speed)  ETA \(formatDuration(eta))".utf8))
            drewBar = true
        } else if progress.seconds - lastLine >= 2 || progress.processed == progress.total {
            lastLine = progress.seconds
            standardError("progress: \(counts) files, \(speed), ETA \(formatDuration(eta))")
        }
    }

    func finish() {
        if drewBar { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
