import Foundation
import Media
import XCTest

/// Builds test videos with ffmpeg at test time (no video is checked in).
enum TestVideos {
    static let photos = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/photos")
    /// Photos without EXIF rotation, so ffmpeg's and our decoder's pixels agree.
    static let scenePhotos = ["coffee-444.jpg", "rocket-baseline-420.jpg", "astronaut-progressive.jpg"]

    static func tools() throws -> FFmpegTools {
        do { return try FFmpegTools.locate() } catch { throw XCTSkip("ffmpeg is not installed: \(error)") }
    }

    /// One scene per photo, `seconds` each, center-cropped to `width`×`height`, H.264 in `name`.
    @discardableResult
    static func scenes(_ photoNames: [String] = scenePhotos, seconds: [Double], in folder: URL, name: String,
                       width: Int = 320, height: Int = 240, extraOutput: [String] = []) throws -> URL {
        let photoNames = Array(photoNames.prefix(seconds.count))
        var arguments = ["-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
        for (photo, length) in zip(photoNames, seconds) {
            arguments += ["-loop", "1", "-framerate", "10", "-t", "\(length)", "-i", photos.appendingPathComponent(photo).path]
        }
        var graph = ""
        for index in photoNames.indices {
            graph += "[\(index)]scale=\(width):\(height):force_original_aspect_ratio=increase,crop=\(width):\(height),setsar=1,fps=10[s\(index)];"
        }
        graph += photoNames.indices.map { "[s\($0)]" }.joined() + "concat=n=\(photoNames.count):v=1:a=0,format=yuv420p"
        let output = folder.appendingPathComponent(name)
        arguments += ["-filter_complex", graph, "-c:v", "libx264", "-preset", "ultrafast", "-g", "20"] + extraOutput + [output.path]
        try ffmpeg(arguments)
        return output
    }

    static func audioOnly(in folder: URL, name: String = "audio-only.m4a") throws -> URL {
        let output = folder.appendingPathComponent(name)
        try ffmpeg(["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=3", output.path])
        return output
    }

    /// The first `fraction` of `source`'s bytes.
    static func truncated(_ source: URL, fraction: Double, in folder: URL, name: String) throws -> URL {
        let data = try Data(contentsOf: source)
        let output = folder.appendingPathComponent(name)
        try data.prefix(Int(Double(data.count) * fraction)).write(to: output)
        return output
    }

    static func ffmpeg(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try tools().ffmpeg)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "TestVideos", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: String(decoding: message, as: UTF8.self)])
        }
    }

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("media-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
