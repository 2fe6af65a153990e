import Foundation
import HTTPTypes
import Hummingbird

/// Registers the routes and remembers which methods each path pattern answers, so that a known path
/// asked with another method gets 405 and an `Allow` header instead of 404.
final class RouteTable: @unchecked Sendable {
    private let router: Router<BasicRequestContext>
    private let lock = NSLock()
    private var endpoints: [(segments: [Substring], methods: [HTTPRequest.Method])] = []

    init(router: Router<BasicRequestContext>) { self.router = router }

    func add(_ method: HTTPRequest.Method, _ path: String,
             _ handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response) {
        router.on(RouterPath(path), method: method, use: handler)
        let segments = path.split(separator: "/")
        lock.withLock {
            if let index = endpoints.firstIndex(where: { $0.segments == segments }) {
                endpoints[index].methods.append(method)
            } else {
                endpoints.append((segments, [method]))
            }
        }
    }

    /// The methods a path answers (HEAD wherever GET is), or nil for a path no route matches.
    func allowedMethods(forPath path: String) -> [HTTPRequest.Method]? {
        let requested = path.split(separator: "/")
        let matching = lock.withLock {
            endpoints.filter { endpoint in
                endpoint.segments.count == requested.count
                    && zip(endpoint.segments, requested).allSatisfy { pattern, segment in pattern.hasPrefix(":") || pattern == segment }
            }
        }
        guard !matching.isEmpty else { return nil }
        var methods: [HTTPRequest.Method] = []
        for method in matching.flatMap(\.methods) where !methods.contains(method) {
            methods.append(method)
            if method == .get { methods.append(.head) }
        }
        return methods
    }
}
