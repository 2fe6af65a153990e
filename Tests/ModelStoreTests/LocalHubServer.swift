import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import ModelStore

/// A minimal HTTP/1.1 server on 127.0.0.1 that imitates the Hugging Face hub's `resolve` endpoint:
/// small files answer 200 with a git-style ETag, LFS files answer 302 to a CDN path with
/// `X-Linked-Etag` (SHA-256) and `X-Linked-Size`, every hub answer carries `X-Repo-Commit`, the CDN
/// honours `Range` with 206, missing files get 404 and a configured token is enforced with 401.
final class LocalHubServer: @unchecked Sendable {
    struct Request: Sendable {
        let method: String
        let path: String
        let headers: [String: String]
    }

    struct HostedFile {
        var content: Data
        var isLFS: Bool
        /// The SHA-256 the hub announces; defaults to the content's real hash.
        var announcedSHA256: String?
    }

    let repository: String
    let commit = "3d74acf9a28c67741b2f4f2ea7635f0aaf6f0268"
    private(set) var port: UInt16 = 0
    private let lock = NSLock()
    private var listener: Int32 = -1
    private var files: [String: HostedFile] = [:]
    private var recorded: [Request] = []
    private var token: String?
    /// CDN downloads of these files send only this many body bytes and then drop the connection (once).
    private var dropAfter: [String: Int] = [:]
    private var ignoresRange = false
    /// The host the CDN redirect points to; a different spelling of the loopback address than the
    /// endpoint's, so the client sees a foreign host as it does with the hub's CDN.
    let cdnHost = "localhost"

    init(repository: String) throws {
        self.repository = repository
        try start()
    }

    deinit { stop() }

    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    func host(_ name: String, _ content: Data, lfs: Bool, announcedSHA256: String? = nil) {
        lock.withLock { files[name] = HostedFile(content: content, isLFS: lfs, announcedSHA256: announcedSHA256) }
    }
    func remove(_ name: String) { lock.withLock { _ = files.removeValue(forKey: name) } }
    func requireToken(_ value: String?) { lock.withLock { token = value } }
    func dropConnection(for name: String, afterBytes count: Int) { lock.withLock { dropAfter[name] = count } }
    func ignoreRangeRequests(_ value: Bool) { lock.withLock { ignoresRange = value } }
    var requests: [Request] { lock.withLock { recorded } }
    func clearRequests() { lock.withLock { recorded.removeAll() } }

    func stop() {
        lock.lock()
        let socket = listener
        listener = -1
        lock.unlock()
        guard socket >= 0 else { return }
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
    }

    private func start() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ServerError("socket() failed: errno \(errno)") }
        var reuse: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(socket, 16) == 0 else { close(socket); throw ServerError("bind/listen failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = socket
        let thread = Thread { [weak self] in self?.acceptLoop(socket) }
        thread.start()
    }

    private func acceptLoop(_ socket: Int32) {
        while true {
            let connection = accept(socket, nil, nil)
            guard connection >= 0 else { return }
            let thread = Thread { [weak self] in
                self?.serve(connection)
                close(connection)
            }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !buffer.containsHeaderEnd {
            let count = recv(connection, &chunk, chunk.count, 0)
            guard count > 0 else { return }
            buffer.append(contentsOf: chunk[0..<count])
        }
        let lines = String(decoding: buffer, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let request = Request(method: String(parts[0]), path: String(parts[1]), headers: headers)
        lock.withLock { recorded.append(request) }
        let reply = respond(to: request)
        var head = "HTTP/1.1 \(reply.status) \(reply.status < 300 ? "OK" : "Status")\r\nConnection: close\r\n"
        var replyHeaders = reply.headers
        if replyHeaders["Content-Length"] == nil { replyHeaders["Content-Length"] = "\(reply.body.count)" }
        for (key, value) in replyHeaders { head += "\(key): \(value)\r\n" }
        head += "\r\n"
        send(connection, Array(head.utf8))
        if request.method != "HEAD" { send(connection, Array(reply.body.prefix(reply.bodyLimit ?? reply.body.count))) }
    }

    private func send(_ connection: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    private struct Reply {
        var status: Int
        var headers: [String: String] = [:]
        var body = Data()
        var bodyLimit: Int?
    }

    private func respond(to request: Request) -> Reply {
        lock.lock(); defer { lock.unlock() }
        let path = request.path.components(separatedBy: "?")[0]
        if path.hasPrefix("/cdn/") {
            let hash = String(path.dropFirst(5))
            guard let (name, file) = files.first(where: { sha256(of: $0.value) == hash }) else { return Reply(status: 404) }
            var reply = ranged(file.content, request: request)
            if let limit = dropAfter.removeValue(forKey: name) { reply.bodyLimit = limit }
            return reply
        }
        let prefix = "/\(repository)/resolve/"
        guard path.hasPrefix(prefix) else { return Reply(status: 404, headers: ["X-Error-Code": "RepoNotFound"]) }
        if let token, request.headers["authorization"] != "Bearer \(token)" {
            return Reply(status: 401, headers: ["X-Error-Code": "GatedRepo"])
        }
        let rest = path.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: "/") else { return Reply(status: 404) }
        let revision = rest[..<slash].removingPercentEncoding ?? ""
        let name = String(rest[rest.index(after: slash)...])
        guard revision == "main" || revision == commit else { return Reply(status: 404, headers: ["X-Error-Code": "RevisionNotFound"]) }
        guard let file = files[name] else {
            return Reply(status: 404, headers: ["X-Error-Code": "EntryNotFound", "X-Repo-Commit": commit])
        }
        if file.isLFS {
            let hash = sha256(of: file)
            return Reply(status: 302, headers: [
                "Location": "http://\(cdnHost):\(port)/cdn/\(hash)?X-Amz-Signature=test",
                "X-Linked-Etag": "\"\(hash)\"", "X-Linked-Size": "\(file.content.count)",
                "ETag": "\"\(hash)\"", "X-Repo-Commit": commit, "Content-Length": "0"])
        }
        var reply = ranged(file.content, request: request)
        // Small files carry their git blob id; any 40 hex digits will do for the client.
        reply.headers["ETag"] = "\"\(String(SHA256.hexDigest(of: file.content).prefix(40)))\""
        reply.headers["X-Repo-Commit"] = commit
        return reply
    }

    private func sha256(of file: HostedFile) -> String { file.announcedSHA256 ?? SHA256.hexDigest(of: file.content) }

    private func ranged(_ content: Data, request: Request) -> Reply {
        guard !ignoresRange, let range = request.headers["range"], range.hasPrefix("bytes="),
              let start = Int(range.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)[0]) else {
            return Reply(status: 200, headers: ["Accept-Ranges": "bytes"], body: content)
        }
        guard start < content.count else {
            return Reply(status: 416, headers: ["Content-Range": "bytes */\(content.count)"])
        }
        return Reply(status: 206, headers: ["Content-Range": "bytes \(start)-\(content.count - 1)/\(content.count)"],
                     body: content.subdata(in: start..<content.count))
    }
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

private extension Array where Element == UInt8 {
    var containsHeaderEnd: Bool {
        guard count >= 4 else { return false }
        for index in 0...(count - 4) where self[index] == 13 && self[index + 1] == 10 && self[index + 2] == 13 && self[index + 3] == 10 {
            return true
        }
        return false
    }
}
