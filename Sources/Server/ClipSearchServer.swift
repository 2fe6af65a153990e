import Catalog
import Foundation
import Hummingbird
import SearchCore

/// `clip-search serve`: one process, the model loaded once, the catalog read through WAL while an
/// index run may be writing to it.
public enum ClipSearchServer {
    public static func makeApplication(service: SearchService,
                                       onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        try service.options.validate()
        let options = service.options
        return Application(
            router: ServerRoutes.router(service: service),
            configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: "clip-search"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? options.port) })
    }

    public static func run(service: SearchService, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let application = try makeApplication(service: service, onRunning: onRunning)
        do {
            try await application.runService()
        } catch where "\(error)".contains("(errno: \(EADDRINUSE))") {
            // NIO's bind error (IOError, not a Hummingbird type) says only "Address already in use".
            let options = service.options
            throw ServerError.invalidConfiguration("cannot listen on \(options.host):\(options.port): the address is already in use (another server, or pass --port)")
        }
    }
}
