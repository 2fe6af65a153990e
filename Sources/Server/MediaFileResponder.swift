import Catalog
import Foundation
import Hummingbird

/// Serves catalog files: the file is found by media id, must still be a regular file (not a symlink
/// swapped in since indexing) and is streamed in chunks, honouring a single byte range.
enum MediaFileResponder {
    static let chunkSize = 256 * 1024

    /// Opens the catalog path without following a final symlink and checks it is a regular file.
    /// Folders above it are not resolved: a root indexed through a symlinked folder (~/Pictures →
    /// /mnt/photos) must keep working, and the scanner never descends through symlinks itself.
    static func open(_ record: MediaRecord) throws -> (descriptor: Int32, size: Int64) {
        let descriptor = Foundation.open(record.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw ServerError.notFound("the file of media \(record.id ?? 0)") }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw ServerError.notFound("the file of media \(record.id ?? 0)")
        }
        return (descriptor, Int64(status.st_size))
    }

    static func response(for record: MediaRecord, rangeHeader: String?, contentType: String? = nil) throws -> Response {
        let (descriptor, size) = try open(record)
        let range: ByteRange?
        do { range = try ByteRange.parse(rangeHeader, size: size) } catch {
            close(descriptor)
            throw error
        }
        let start = range?.start ?? 0
        let length = range?.length ?? size
        var headers: HTTPFields = [.contentType: contentType ?? MediaContentType.forPath(record.path), .acceptRanges: "bytes",
                                   .contentLength: String(length), .cacheControl: "private, max-age=3600"]
        if let range { headers[.contentRange] = "bytes \(range.start)-\(range.end)/\(size)" }
        let file = FileDescriptorBox(descriptor: descriptor)
        let body = ResponseBody(contentLength: Int(length)) { writer in
            defer { file.close() }
            var offset = start
            var remaining = length
            var buffer = [UInt8](repeating: 0, count: chunkSize)
            while remaining > 0 {
                let wanted = Int(min(Int64(chunkSize), remaining))
                let read = buffer.withUnsafeMutableBytes { pread(file.descriptor, $0.baseAddress, wanted, off_t(offset)) }
                guard read > 0 else { throw ServerError.internalError("\(record.path) became shorter while it was sent") }
                try await writer.write(ByteBuffer(bytes: buffer[0..<read]))
                offset += Int64(read)
                remaining -= Int64(read)
            }
            try await writer.finish(nil)
        }
        return Response(status: range == nil ? .ok : .partialContent, headers: headers, body: body)
    }

    /// Reads a small whole file (a cached thumbnail) into a response.
    static func smallFile(_ url: URL, contentType: String) throws -> Response {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ServerError.internalError("cannot read \(url.path)") }
        return Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "private, max-age=86400"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Closes a descriptor once, from whichever task finishes the body.
final class FileDescriptorBox: @unchecked Sendable {
    let descriptor: Int32
    private let lock = NSLock()
    private var closed = false

    init(descriptor: Int32) { self.descriptor = descriptor }

    func close() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            _ = Foundation.close(descriptor)
        }
    }

    deinit { close() }
}
