import ArgumentParser
import Catalog
import Foundation
import SearchCore
import TensorCore

/// `--db`, shared by the search commands.
struct CatalogOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: "Catalog file (default: $XDG_DATA_HOME/clip-search/catalog.sqlite).")
    var database: String?

    var path: String { database.map(MediaScanner.absolutePath) ?? Catalog.defaultLocation().path }

    func open(createIfMissing: Bool) throws -> Catalog {
        let existed = FileManager.default.fileExists(atPath: path)
        let catalog = try Catalog(path: path, createIfMissing: createIfMissing)
        if existed && !catalog.appliedMigrations.isEmpty {
            standardError("catalog: upgraded \(path) to schema \(CatalogSchema.latest) (applied \(catalog.appliedMigrations.joined(separator: ", ")))")
        }
        return catalog
    }
}

/// `--model`, shared by the commands that embed.
struct ModelOptions: ParsableArguments {
    @Option(help: "Model folder, Hugging Face hub id or demo (default: $CLIPSEARCH_MODEL, else openai/clip-vit-base-patch32 if cached, else the bundled demo model).")
    var model: String?

    @Flag(help: "Use only models already in the cache (also HF_HUB_OFFLINE=1).")
    var offline = false

    @OptionGroup var precision: PrecisionOptions

    func load() throws -> SearchModel {
        precision.apply()
        return try SearchModel.load(argument: try modelArgument(model), offline: offline)
    }

    /// The model's catalog identity without loading its weights; nil when no model was named (by the
    /// option or CLIPSEARCH_MODEL): commands that only read vectors then use the catalog's own model
    /// rather than a default one.
    static func identifier(ifGiven option: String?) throws -> String? {
        let named = [option, ProcessInfo.processInfo.environment["CLIPSEARCH_MODEL"]].compactMap { $0 }.filter { !$0.isEmpty }
        guard !named.isEmpty, let argument = try? modelArgument(option) else { return nil }
        return try SearchModel.fingerprint(directory: try resolveModelDirectory(argument, offline: true))
    }
}

/// `--precision` for commands that run a model.
struct PrecisionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Matrix products: fp32, bf16x3 (AMX tiles, fp32-level parity) or bf16 (AMX, fastest, ~3 digits). Default: $CLIPSEARCH_PRECISION, else bf16x3 where the CPU has AMX, else fp32.",
        valueName: "precision"))
    var precision: String?

    func validate() throws {
        if let precision, MatrixPrecision(rawValue: precision) == nil {
            throw ValidationError("--precision must be one of \(MatrixPrecision.allCases.map(\.rawValue).joined(separator: ", ")), got '\(precision)'")
        }
    }

    /// Sets the precision of the weights packed from now on (before a model loads).
    func apply() {
        if let precision, let value = MatrixPrecision(rawValue: precision) { MatrixPrecision.current = value }
    }
}

func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Score with four decimals, the precision that separates near-duplicates.
func formatScore(_ score: Float) -> String {
    String(format: "%.4f", score)
}

/// `1:02:03`, `2:03`, `3.4 s` for durations and ETAs.
func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    let total = Int(seconds.rounded())
    let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
    return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
}

/// Ctrl-C handling for long runs: the first SIGINT asks the work to stop at the next safe point,
/// the second exits at once (safe too: the catalog only ever sees committed transactions).
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    private var source: DispatchSourceSignal?

    var isRaised: Bool { lock.withLock { raised } }

    func install(message: String) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [self] in
            let first = lock.withLock { () -> Bool in
                defer { raised = true }
                return !raised
            }
            if first {
                standardError("\n" + message)
            } else {
                exit(130)
            }
        }
        source.resume()
        self.source = source
    }
}
