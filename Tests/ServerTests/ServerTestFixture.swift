import Catalog
import Foundation
import Hummingbird
import HummingbirdTesting
import SearchCore
import XCTest
@testable import Server

/// One catalog of the checked-in gallery, indexed with the fixture model, shared by the route tests;
/// plus (when ffmpeg is installed) a generated video whose frames 2 s and 3 s carry the vector of
/// `space/hubble-tiny.jpg`, so a search with that photo must find the moment 2–4 s.
final class ServerTestFixture: @unchecked Sendable {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let gallery = fixtures.appendingPathComponent("gallery")
    static let modelFolder = fixtures.appendingPathComponent("models/tiny-quickgelu")

    let folder: URL
    let catalog: Catalog
    let model: SearchModel
    let videoPath: String?
    let videoID: Int64?

    nonisolated(unsafe) private static var cached: ServerTestFixture?
    private static let lock = NSLock()

    static func shared() throws -> ServerTestFixture {
        try lock.withLock {
            if let cached { return cached }
            let made = try ServerTestFixture()
            cached = made
            return made
        }
    }

    private init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("server-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        catalog = try Catalog(path: folder.appendingPathComponent("catalog.sqlite").path)
        model = try SearchModel.load(argument: Self.modelFolder.path)
        _ = try Indexer(catalog: catalog, model: model).run(IndexOptions(roots: [Self.gallery.path]))
        (videoPath, videoID) = try Self.addVideo(folder: folder, catalog: catalog, model: model)
    }

    static func path(_ relative: String) -> String {
        MediaScanner.absolutePath(gallery.appendingPathComponent(relative).path)
    }

    func mediaID(_ relative: String) throws -> Int64 {
        guard let id = try catalog.media(path: Self.path(relative))?.id else {
            throw XCTSkip("fixture \(relative) is not in the catalog")
        }
        return id
    }

    static func addVideo(folder: URL, catalog: Catalog, model: SearchModel) throws -> (String?, Int64?) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { return (nil, nil) }
        let video = folder.appendingPathComponent("clip.mp4")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=6:size=160x120:rate=10",
                             "-pix_fmt", "yuv420p", "-c:v", "libx264", "-y", video.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return (nil, nil) }
        guard let target = try catalog.media(path: path("space/hubble-tiny.jpg"))?.id,
              let other = try catalog.media(path: path("misc/camera-gray.jpg"))?.id else { return (nil, nil) }
        let targetVector = try catalog.embeddings(mediaID: target, modelID: model.identifier)[0].vector
        let otherVector = try catalog.embeddings(mediaID: other, modelID: model.identifier)[0].vector
        let size = (try FileManager.default.attributesOfItem(atPath: video.path)[.size] as? NSNumber)?.int64Value ?? 0
        let id = try catalog.write { writer in
            let id = try writer.upsertMedia(MediaRecord(path: video.path, size: size, modificationTime: 0, contentHash: "feedface" + UUID().uuidString,
                                                        mediaType: .video, width: 160, height: 120, duration: 6, codec: "h264"))
            try writer.replaceEmbeddings(mediaID: id, modelID: model.identifier, (0..<6).map { second in
                FrameEmbedding(frameTime: Double(second), vector: second == 2 || second == 3 ? targetVector : otherVector)
            })
            return id
        }
        return (video.path, id)
    }

    func service(_ configure: (inout ServerOptions) -> Void = { _ in }) throws -> SearchService {
        var options = ServerOptions(thumbnailDirectory: folder.appendingPathComponent("thumbnails-\(UUID().uuidString)"))
        configure(&options)
        return try SearchService(catalog: catalog, model: model, options: options)
    }
}

/// Test helpers over HummingbirdTesting's router client.
extension XCTestCase {
    func withServer(_ service: SearchService, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let application = Application(router: ServerRoutes.router(service: service))
        try await application.test(.router) { client in try await body(client) }
    }
}

struct MultipartBody {
    let boundary = "----clipsearch\(UUID().uuidString)"
    var data = Data()

    mutating func field(_ name: String, _ value: String) {
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
    }

    mutating func file(_ name: String, filename: String, contentType: String, _ bytes: Data) {
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8))
        data.append(bytes)
        data.append(Data("\r\n".utf8))
    }

    func finished() -> (ByteBuffer, HTTPFields) {
        var body = data
        body.append(Data("--\(boundary)--\r\n".utf8))
        return (ByteBuffer(bytes: body), [.contentType: "multipart/form-data; boundary=\(boundary)"])
    }
}

func decodeJSON(_ buffer: ByteBuffer?) throws -> [String: Any] {
    guard let buffer, let object = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
        throw NSError(domain: "ServerTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "response body is not a JSON object"])
    }
    return object
}

func results(_ object: [String: Any]) -> [[String: Any]] {
    object["results"] as? [[String: Any]] ?? []
}
