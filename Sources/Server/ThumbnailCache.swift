import Catalog
import Foundation
import ImageCodecs

/// Thumbnails made once per content hash and size and kept on disk, so a 12 MP original is decoded
/// (with DCT scaling) only the first time it is shown.
public struct ThumbnailCache: Sendable {
    public let directory: URL
    public let side: Int

    public init(directory: URL, side: Int) {
        self.directory = directory
        self.side = side
    }

    /// Cached file for a record (and, for videos, a frame time); creates it when missing.
    public func thumbnail(for record: MediaRecord, time: Double?) throws -> (url: URL, contentType: String) {
        let isVideo = record.mediaType == .video
        let stamp = isVideo ? String(format: "-t%.1f", max(0, time ?? 0)) : ""
        let name = "\(record.contentHash.prefix(32))-\(side)\(stamp)" + (isVideo ? ".jpg" : ".png")
        let url = directory.appendingPathComponent(name)
        let contentType = isVideo ? "image/jpeg" : "image/png"
        if FileManager.default.fileExists(atPath: url.path) { return (url, contentType) }
        let data = isVideo ? try videoFrame(path: record.path, time: max(0, time ?? 0)) : try photo(path: record.path)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            // Write then rename: a concurrent request never serves a half-written file.
            let temporary = directory.appendingPathComponent(".\(name).\(UUID().uuidString)")
            try data.write(to: temporary)
            if rename(temporary.path, url.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
        } catch {
            throw ServerError.internalError("cannot write the thumbnail cache \(directory.path): \(error.localizedDescription)")
        }
        return (url, contentType)
    }

    func photo(path: String) throws -> Data {
        do {
            return try PNGEncoder.encode(ImageDecoder.thumbnail(fileAt: URL(fileURLWithPath: path), maximumWidth: side, maximumHeight: side))
        } catch {
            throw ServerError.internalError("cannot make a thumbnail of \(path): \(error)")
        }
    }

    /// One frame through the ffmpeg CLI (arguments passed directly, never through a shell).
    func videoFrame(path: String, time: Double) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-nostdin", "-loglevel", "error", "-ss", String(format: "%.3f", time), "-i", "file:" + path,
                             "-frames:v", "1", "-vf", "scale='min(\(side),iw)':-2", "-f", "image2", "-c:v", "mjpeg", "pipe:1"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw ServerError.internalError("video thumbnails need ffmpeg: \(error.localizedDescription)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, !data.isEmpty else {
            throw ServerError.internalError("ffmpeg could not extract a frame at \(time) s from \(path)")
        }
        return data
    }
}
