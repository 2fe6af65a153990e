import ArgumentParser
import Foundation
import SearchCore
import Server

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the search page and the REST API (OpenAPI at /openapi.json).",
        discussion: """
            Binds to 127.0.0.1:8080 by default. Binding to any other address needs a bearer token \
            (--token or CLIPSEARCH_TOKEN); open the page once as /?token=<token> to store it in a cookie. \
            The catalog may be written by an index run meanwhile: new vectors show up within seconds.
              clip-search serve --model ~/models/clip-vit-base-patch32
              clip-search serve --host 0.0.0.0 --port 9000 --token "$(openssl rand -hex 16)"
            """)

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var model: ModelOptions

    @Option(help: "Address to bind (a non-loopback address needs --token).")
    var host = "127.0.0.1"

    @Option(help: "TCP port (0 picks a free one).")
    var port = 8080

    @Option(help: "Bearer token for the API (default: $CLIPSEARCH_TOKEN).")
    var token: String?

    @Option(name: .customLong("cors-origin"), help: "Origin allowed to call the API from another site (none by default).")
    var corsOrigin: String?

    @Option(name: .customLong("max-upload-mb"), help: "Largest accepted upload, in MB.")
    var maxUploadMegabytes = 20

    @Option(name: .customLong("thumbnail-cache"), help: "Thumbnail cache folder (default: $XDG_CACHE_HOME/clip-search/thumbnails).")
    var thumbnailCache: String?

    func run() throws {
        var options = ServerOptions()
        options.host = host
        options.port = port
        options.token = token ?? ProcessInfo.processInfo.environment["CLIPSEARCH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        options.corsOrigin = corsOrigin
        // Checked before the shift, which would overflow into a negative or tiny limit.
        guard (1...65_536).contains(maxUploadMegabytes) else {
            throw ValidationError("--max-upload-mb must be between 1 and 65536, got \(maxUploadMegabytes)")
        }
        options.maxUploadBytes = maxUploadMegabytes << 20
        if let thumbnailCache { options.thumbnailDirectory = URL(fileURLWithPath: MediaScanner.absolutePath(thumbnailCache)) }
        do { try options.validate() } catch { throw ValidationError("\(error)") }
        let database = try catalog.open(createIfMissing: false)
        let loaded = try model.load()
        let service = try SearchService(catalog: database, model: loaded, options: options)
        let stats = try service.statistics()
        let host = options.host
        let path = database.path
        // The root command is synchronous; the server runs on the concurrency pool until SIGINT/SIGTERM.
        let outcome = ServeOutcome()
        let finished = DispatchSemaphore(value: 0)
        Task {
            do {
                try await ClipSearchServer.run(service: service) { port in
                    standardError("serving \(stats.vectors) vectors of \(stats.modelName) from \(path) at http://\(host):\(port)/")
                }
            } catch {
                outcome.set(error)
            }
            finished.signal()
        }
        finished.wait()
        if let error = outcome.error { throw error }
    }
}

final class ServeOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Error?
    var error: Error? { lock.withLock { stored } }
    func set(_ error: Error) { lock.withLock { stored = error } }
}
