import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What the hub says about one file before it is downloaded.
struct RemoteFile: Sendable {
    let name: String
    let resolveURL: URL
    /// Where the bytes come from: the CDN location of the hub's redirect, or the resolve URL itself.
    let downloadURL: URL
    let commit: String?
    /// The unquoted ETag: the SHA-256 of LFS files, the git blob SHA-1 of small files.
    let etag: String?
    let sha256: String?
    let size: Int64?
}

/// Talks to a Hugging Face hub (or anything serving its `resolve` layout) the way `huggingface_hub`
/// does: a HEAD without following redirects to read `X-Repo-Commit`, `X-Linked-Etag` and
/// `X-Linked-Size` off the hub's own response, then a GET of the redirect target with `Range` resume.
struct HubClient: Sendable {
    let configuration: ModelStoreConfiguration
    let progress: DownloadProgressReporter

    private var authorizedHost: String? { configuration.endpoint.host }

    /// The file's metadata, or nil when the hub answers 404 (the file is not in the repository).
    func metadata(for identifier: ModelIdentifier, file: String) throws -> RemoteFile? {
        let resolveURL = try configuration.resolveURL(for: identifier, file: file)
        var url = resolveURL
        // Renamed repositories answer with relative redirects to the new name; follow a few of those.
        for _ in 0..<5 {
            var request = URLRequest(url: url)
            request.httpMethod = "HEAD"
            request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
            let response = try HTTPTransfer.perform(request, followRedirects: false, authorizedHost: authorizedHost,
                                                    token: configuration.token, timeout: configuration.timeout)
            let status = response.statusCode
            switch status {
            case 200..<300:
                return remoteFile(file, resolveURL: resolveURL, downloadURL: url, response: response)
            case 300..<400:
                guard let location = response.header("Location"), let target = URL(string: location, relativeTo: url)?.absoluteURL else {
                    throw ModelStoreError.invalidResponse(url: url.absoluteString, reason: "HTTP \(status) without a usable Location header")
                }
                if URL(string: location)?.host == nil, response.header("X-Linked-Etag") == nil {
                    url = target
                    continue
                }
                return remoteFile(file, resolveURL: resolveURL, downloadURL: target, response: response)
            case 404:
                return nil
            case 401, 403:
                throw ModelStoreError.authenticationRequired(url: url.absoluteString, status: status, tokenSent: configuration.token != nil)
            default:
                throw ModelStoreError.httpStatus(url: url.absoluteString, status: status, file: file)
            }
        }
        throw ModelStoreError.invalidResponse(url: resolveURL.absoluteString, reason: "too many redirects")
    }

    private func remoteFile(_ name: String, resolveURL: URL, downloadURL: URL, response: HTTPURLResponse) -> RemoteFile {
        let etag = (response.header("X-Linked-Etag") ?? response.header("ETag")).map(Self.unquote)
        let isSHA256 = etag.map { $0.count == 64 && $0.allSatisfy(\.isHexDigit) } ?? false
        let sizeText = response.header("X-Linked-Size") ?? response.header("Content-Length")
        return RemoteFile(name: name, resolveURL: resolveURL, downloadURL: downloadURL, commit: response.header("X-Repo-Commit"),
                          etag: etag, sha256: isSHA256 ? etag?.lowercased() : nil, size: sizeText.flatMap { Int64($0) })
    }

    static func unquote(_ etag: String) -> String {
        var text = etag.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("W/") { text.removeFirst(2) }
        return text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// Downloads `remote` into `destination` through `<destination>.incomplete`, resuming what an
    /// earlier run left there, and moves it into place only after its size and SHA-256 check out.
    /// Returns the SHA-256 of the final file.
    func download(_ remote: RemoteFile, to destination: URL) throws -> String {
        let partial = URL(fileURLWithPath: destination.path + ".incomplete")
        let manager = FileManager.default
        var attempt = 0
        while true {
            attempt += 1
            var resumeOffset = Self.fileSize(partial) ?? 0
            if let size = remote.size, resumeOffset > size {
                try? manager.removeItem(at: partial)
                resumeOffset = 0
            }
            if !manager.fileExists(atPath: partial.path), !manager.createFile(atPath: partial.path, contents: nil) {
                throw ModelStoreError.fileSystem(path: partial.path, reason: "cannot create file")
            }
            let state = DownloadState(file: remote.name, offset: resumeOffset, total: remote.size, progress: progress)
            try state.hashExisting(partial)
            progress.started(file: remote.name, totalBytes: remote.size, resumedFrom: resumeOffset)
            if remote.size == nil || resumeOffset < remote.size ?? 0 {
                let restart = try fetch(remote, into: partial, state: state)
                if restart && attempt < 3 {
                    try? manager.removeItem(at: partial)
                    continue
                }
            }
            return try finish(remote, partial: partial, destination: destination, state: state)
        }
    }

    /// Runs the GET; returns true when the server refused the range and the download must start over.
    private func fetch(_ remote: RemoteFile, into partial: URL, state: DownloadState) throws -> Bool {
        var request = URLRequest(url: remote.downloadURL)
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        if state.offset > 0 { request.setValue("bytes=\(state.offset)-", forHTTPHeaderField: "Range") }
        let handle: FileHandle
        do { handle = try FileHandle(forWritingTo: partial) } catch {
            throw ModelStoreError.fileSystem(path: partial.path, reason: "cannot open for writing: \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        var rangeRefused = false
        let urlText = remote.downloadURL.absoluteString
        let response = try HTTPTransfer.perform(
            request, followRedirects: true, authorizedHost: authorizedHost, token: configuration.token,
            timeout: configuration.timeout,
            onResponse: { response in
                switch response.statusCode {
                case 206:
                    let start = response.header("Content-Range").flatMap(Self.rangeStart)
                    guard start == state.offset else {
                        throw ModelStoreError.invalidResponse(
                            url: urlText, reason: "asked for bytes from \(state.offset) but Content-Range is \(response.header("Content-Range") ?? "missing")")
                    }
                    try handle.seekToEnd()
                case 200:
                    // The server ignored Range: start over from the first byte.
                    try handle.truncate(atOffset: 0)
                    state.restart()
                case 416:
                    rangeRefused = true
                case 401, 403:
                    throw ModelStoreError.authenticationRequired(url: urlText, status: response.statusCode, tokenSent: configuration.token != nil)
                default:
                    throw ModelStoreError.httpStatus(url: urlText, status: response.statusCode, file: remote.name)
                }
            },
            sink: { data in
                guard !rangeRefused else { return }
                do { try handle.write(contentsOf: data) } catch {
                    throw ModelStoreError.fileSystem(path: partial.path, reason: "write failed: \(error.localizedDescription)")
                }
                state.received(data)
            })
        _ = response
        return rangeRefused
    }

    private func finish(_ remote: RemoteFile, partial: URL, destination: URL, state: DownloadState) throws -> String {
        let manager = FileManager.default
        let actualSize = Self.fileSize(partial) ?? 0
        if let expected = remote.size, expected != actualSize {
            try? manager.removeItem(at: partial)
            throw ModelStoreError.sizeMismatch(file: remote.name, expected: expected, actual: actualSize)
        }
        let digest = state.hasher.hexDigest()
        if let expected = remote.sha256, expected != digest {
            try? manager.removeItem(at: partial)
            throw ModelStoreError.hashMismatch(file: remote.name, expected: expected, actual: digest)
        }
        do {
            if manager.fileExists(atPath: destination.path) { try manager.removeItem(at: destination) }
            try manager.moveItem(at: partial, to: destination)
        } catch {
            throw ModelStoreError.fileSystem(path: destination.path, reason: "cannot move the download into place: \(error.localizedDescription)")
        }
        progress.finished(file: remote.name, bytes: actualSize)
        return digest
    }

    /// The first byte of `bytes 100-199/1000`.
    static func rangeStart(_ header: String) -> Int64? {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes ") else { return nil }
        return trimmed.dropFirst(6).split(separator: "-").first.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
    }

    static func fileSize(_ url: URL) -> Int64? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              let size = attributes[.size] as? NSNumber else { return nil }
        return size.int64Value
    }
}

/// Bytes received so far and their running hash; shared between the caller and URLSession's delegate queue
/// but only touched by one of them at a time (the caller waits while the transfer runs).
final class DownloadState: @unchecked Sendable {
    let file: String
    private(set) var offset: Int64
    let total: Int64?
    let progress: DownloadProgressReporter
    private(set) var hasher = SHA256()

    init(file: String, offset: Int64, total: Int64?, progress: DownloadProgressReporter) {
        self.file = file
        self.offset = offset
        self.total = total
        self.progress = progress
    }

    /// Hashes what an interrupted run already wrote, so the final digest covers the whole file.
    func hashExisting(_ url: URL) throws {
        guard offset > 0 else { return }
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw ModelStoreError.fileSystem(path: url.path, reason: "cannot read the partial download")
        }
        defer { try? handle.close() }
        var remaining = offset
        while remaining > 0 {
            let chunk = try handle.read(upToCount: Int(min(remaining, 1 << 22))) ?? Data()
            guard !chunk.isEmpty else { break }
            hasher.update(chunk)
            remaining -= Int64(chunk.count)
        }
    }

    func restart() {
        offset = 0
        hasher = SHA256()
    }

    func received(_ data: Data) {
        hasher.update(data)
        offset += Int64(data.count)
        progress.advanced(file: file, receivedBytes: offset, totalBytes: total)
    }
}
