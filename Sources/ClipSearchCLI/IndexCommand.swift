import ArgumentParser
import Catalog
import CLIPModels
import Foundation
import Media
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
        let interrupt = InterruptFlag()
        interrupt.install(message: "stopping after the current batch (Ctrl-C again to quit now)…")
        var options = IndexOptions(roots: folders)
        options.includeHidden = includeHidden
        options.batchSize = batchSize
        options.pauseAfterBatch = pauseAfterBatch
        options.photoDecoding = exactDecoding ? .exact : .scaledJPEG
        options.videos = video.indexOptions()
        let progress = ProgressDisplay(enabled: !quiet)
        let summary = try Indexer(catalog: database, model: searchModel).run(
            options, shouldStop: { interrupt.isRaised }, progress: progress.update)
        progress.finish()
        print(json ? try summaryJSON(summary) : summaryText(summary, catalogPath: database.path))
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

    func summaryJSON(_ summary: IndexSummary) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(summary), as: UTF8.self)
    }
}

/// A progress bar with count, rate and ETA on a terminal, and a line per video in seconds of video
/// with the speed as a multiple of real time; plain lines (at most one per 2 s) when not a terminal.
final class ProgressDisplay {
    let enabled: Bool
    let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastLine = -Double.infinity
    private var drewLine = false

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func update(_ progress: IndexProgress) {
        guard enabled, progress.total > 0 else { return }
        if let video = progress.video { return update(video) }
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
            show("\(bar) \(counts)  \(speed)  ETA \(formatDuration(eta))")
        } else if progress.seconds - lastLine >= 2 || progress.processed == progress.total {
            lastLine = progress.seconds
            standardError("progress: \(counts) files, \(speed), ETA \(formatDuration(eta))")
        }
    }

    private func update(_ progress: VideoIndexProgress) {
        guard progress.videoCount > 0 else { return }
        let speed = progress.seconds > 0 ? progress.totalVideoSeconds / progress.seconds : 0
        let name = (progress.path as NSString).lastPathComponent
        let text = "video \(min(progress.videoIndex + 1, progress.videoCount))/\(progress.videoCount) \(name): "
            + "\(VideoTime.format(progress.position)) of \(VideoTime.format(progress.duration))"
            + String(format: "  %.1f× real time", speed)
        if isTerminal {
            show(text)
        } else if progress.seconds - lastLine >= 2 {
            lastLine = progress.seconds
            standardError("progress: " + text)
        }
    }

    private func show(_ line: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
        drewLine = true
    }

    func finish() {
        if drewLine { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
