import Foundation
import XCTest
@testable import ModelStore

final class ModelDownloadTests: XCTestCase {
    private let repository = "test-owner/tiny-clip"
    private var server: LocalHubServer!
    private var cacheRoot: URL!
    private var hosted: [String: Data] = [:]

    override func setUpWithError() throws {
        server = try LocalHubServer(repository: repository)
        cacheRoot = FileManager.default.temporaryDirectory.appendingPathComponent("model-store-\(UUID().uuidString)")
        var generator = SplitMix64(seed: 42)
        hosted = [
            "config.json": Data(#"{"model_type": "clip", "projection_dim": 64, "text_config": {"hidden_size": 32}}"#.utf8),
            // Large enough to arrive in several chunks and to be resumed part-way.
            "model.safetensors": generator.bytes(400_000),
            "vocab.json": Data(#"{"a</w>": 0, "b</w>": 1}"#.utf8),
            "merges.txt": Data("#version: 0.2\na b\n".utf8),
            "tokenizer_config.json": Data(#"{"model_max_length": 77}"#.utf8),
            "special_tokens_map.json": Data(#"{"eos_token": "<|endoftext|>"}"#.utf8),
        ]
        for (name, content) in hosted { server.host(name, content, lfs: name.hasSuffix(".safetensors")) }
    }

    override func tearDown() {
        server.stop()
        try? FileManager.default.removeItem(at: cacheRoot)
    }

    private func cache(token: String? = nil, offline: Bool = false) -> ModelCache {
        ModelCache(configuration: ModelStoreConfiguration(modelsDirectory: cacheRoot, endpoint: server.endpoint,
                                                          token: token, offline: offline, timeout: 30),
                   progress: SilentProgressReporter())
    }

    private var identifier: ModelIdentifier { get throws { try ModelIdentifier(parsing: repository) } }

    private func assertDownloaded(_ directory: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        for (name, content) in hosted {
            XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent(name)), content, name, file: file, line: line)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".incomplete") }
        XCTAssertEqual(leftovers, [], file: file, line: line)
    }

    func testFullDownloadRecordsCommitAndSkipsAbsentOptionalFile() throws {
        let model = try cache().pull(try identifier)
        XCTAssertEqual(model.directory.lastPathComponent, "test-owner--tiny-clip")
        try assertDownloaded(model.directory)
        XCTAssertTrue(model.isComplete)
        XCTAssertEqual(model.commit, server.commit)
        XCTAssertFalse(FileManager.default.fileExists(atPath: model.directory.appendingPathComponent("preprocessor_config.json").path))
        XCTAssertEqual(model.totalBytes, Int64(hosted.values.reduce(0) { $0 + $1.count }))
        let weights = try XCTUnwrap(model.files.first { $0.name == "model.safetensors" })
        XCTAssertEqual(weights.sha256, SHA256.hexDigest(of: hosted["model.safetensors"]!))

        let requests = server.requests
        // The first file is asked for by branch, the rest by the commit the hub named, so a push cannot mix versions.
        XCTAssertTrue(requests[0].path.hasSuffix("/resolve/main/config.json"), requests[0].path)
        XCTAssertTrue(requests.contains { $0.method == "HEAD" && $0.path.contains("/resolve/\(server.commit)/model.safetensors") })
        XCTAssertTrue(requests.contains { $0.method == "GET" && $0.path.hasPrefix("/cdn/") })
        XCTAssertTrue(requests.contains { $0.path.hasSuffix("/preprocessor_config.json") })

        let listed = try cache().listCachedModels()
        XCTAssertEqual(listed.map(\.identifier.repository), [repository])
        XCTAssertEqual(listed.first?.isComplete, true)
    }

    func testSecondPullDownloadsNothingUntilTheHubChanges() throws {
        try cache().pull(try identifier)
        server.clearRequests()
        try cache().pull(try identifier)
        XCTAssertFalse(server.requests.contains { $0.method == "GET" }, "\(server.requests.map(\.path))")

        var generator = SplitMix64(seed: 99)
        hosted["model.safetensors"] = generator.bytes(1000)
        server.host("model.safetensors", hosted["model.safetensors"]!, lfs: true)
        server.clearRequests()
        let model = try cache().pull(try identifier)
        try assertDownloaded(model.directory)
        XCTAssertEqual(server.requests.filter { $0.method == "GET" }.count, 1)
    }

    func testResumesFromPartialFileWithRange() throws {
        let directory = cache().directory(for: try identifier)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let weights = hosted["model.safetensors"]!
        try weights.prefix(123_456).write(to: directory.appendingPathComponent("model.safetensors.incomplete"))
        let model = try cache().pull(try identifier)
        try assertDownloaded(model.directory)
        let cdn = server.requests.filter { $0.path.hasPrefix("/cdn/") }
        XCTAssertEqual(cdn.count, 1)
        XCTAssertEqual(cdn.first?.headers["range"], "bytes=123456-")
    }

    func testInterruptedTransferLeavesPartialFileThatTheNextPullResumes() throws {
        server.dropConnection(for: "model.safetensors", afterBytes: 150_000)
        XCTAssertThrowsError(try cache().pull(try identifier)) { error in
            guard case ModelStoreError.network = error else { return XCTFail("\(error)") }
        }
        let partial = cache().directory(for: try identifier).appendingPathComponent("model.safetensors.incomplete")
        let kept = try XCTUnwrap(HubClient.fileSize(partial))
        XCTAssertGreaterThan(kept, 0)
        XCTAssertLessThanOrEqual(kept, 150_000)
        XCTAssertFalse(cache().cachedModel(try identifier).isComplete)
        XCTAssertEqual(cache().cachedModel(try identifier).partialFiles, ["model.safetensors"])

        server.clearRequests()
        let model = try cache().pull(try identifier)
        try assertDownloaded(model.directory)
        XCTAssertEqual(server.requests.first { $0.path.hasPrefix("/cdn/") }?.headers["range"], "bytes=\(kept)-")
    }

    func testServerIgnoringRangeRestartsFromTheFirstByte() throws {
        server.ignoreRangeRequests(true)
        let directory = cache().directory(for: try identifier)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A stale partial file with wrong bytes: if it were kept, the hash check would fail.
        try Data(repeating: 0xAB, count: 5000).write(to: directory.appendingPathComponent("model.safetensors.incomplete"))
        try assertDownloaded(try cache().pull(try identifier).directory)
    }

    func testHashMismatchIsRejectedAndTheDownloadDeleted() throws {
        let wrong = String(repeating: "0", count: 64)
        server.host("model.safetensors", hosted["model.safetensors"]!, lfs: true, announcedSHA256: wrong)
        XCTAssertThrowsError(try cache().pull(try identifier)) { error in
            guard case let ModelStoreError.hashMismatch(file, expected, actual) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "model.safetensors")
            XCTAssertEqual(expected, wrong)
            XCTAssertEqual(actual, SHA256.hexDigest(of: self.hosted["model.safetensors"]!))
            XCTAssertTrue("\(error)".contains(wrong))
        }
        let directory = cache().directory(for: try identifier)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors.incomplete").path))
        XCTAssertThrowsError(try ModelResolver.resolve(repository, store: cache(offline: true)))
    }

    func testOfflineWithoutCacheFailsClearlyWithoutNetwork() throws {
        XCTAssertThrowsError(try ModelResolver.resolve(repository, store: cache(offline: true))) { error in
            guard case let ModelStoreError.notCached(name, _, missing) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, self.repository)
            XCTAssertEqual(missing, ModelFiles.required)
            XCTAssertTrue("\(error)".contains("offline"))
        }
        XCTAssertThrowsError(try cache(offline: true).pull(try identifier))
        XCTAssertEqual(server.requests.count, 0)
    }

    func testOfflineWithCacheUsesItWithoutNetwork() throws {
        let downloaded = try ModelResolver.resolve(repository, store: cache())
        server.clearRequests()
        server.stop()
        let resolved = try ModelResolver.resolve(repository, store: cache(offline: true))
        XCTAssertEqual(resolved.standardizedFileURL.path, downloaded.standardizedFileURL.path)
        try assertDownloaded(resolved)
        XCTAssertEqual(server.requests.count, 0)
    }

    func testTokenIsSentToTheHubButNotToTheCDN() throws {
        server.requireToken("hf_secret")
        XCTAssertThrowsError(try cache().pull(try identifier)) { error in
            guard case let ModelStoreError.authenticationRequired(_, status, tokenSent) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(status, 401)
            XCTAssertFalse(tokenSent)
            XCTAssertTrue("\(error)".contains("HF_TOKEN"))
        }
        XCTAssertThrowsError(try cache(token: "hf_wrong").pull(try identifier)) { error in
            guard case ModelStoreError.authenticationRequired(_, 401, true) = error else { return XCTFail("\(error)") }
        }
        server.clearRequests()
        try assertDownloaded(try cache(token: "hf_secret").pull(try identifier).directory)
        let hubRequests = server.requests.filter { $0.path.contains("/resolve/") }
        XCTAssertFalse(hubRequests.isEmpty)
        XCTAssertTrue(hubRequests.allSatisfy { $0.headers["authorization"] == "Bearer hf_secret" })
        let cdnRequests = server.requests.filter { $0.path.hasPrefix("/cdn/") }
        XCTAssertFalse(cdnRequests.isEmpty)
        XCTAssertTrue(cdnRequests.allSatisfy { $0.headers["authorization"] == nil })
    }

    func testMissingRequiredFileIsAClearError() throws {
        server.remove("merges.txt")
        XCTAssertThrowsError(try cache().pull(try identifier)) { error in
            guard case let ModelStoreError.requiredFileMissing(name, file, url) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, self.repository)
            XCTAssertEqual(file, "merges.txt")
            XCTAssertTrue(url.hasSuffix("/resolve/\(self.server.commit)/merges.txt"), url)
        }
        XCTAssertFalse(cache().cachedModel(try identifier).isComplete)
    }

    func testUnknownRevisionIsReportedAsMissing() throws {
        XCTAssertThrowsError(try cache().pull(try ModelIdentifier(parsing: "\(repository)@v9"))) { error in
            guard case ModelStoreError.requiredFileMissing(_, "config.json", _) = error else { return XCTFail("\(error)") }
        }
    }

    func testLocalDirectoryPassesThrough() throws {
        let local = cacheRoot.appendingPathComponent("my model")
        try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: local.appendingPathComponent("config.json"))
        XCTAssertEqual(try ModelResolver.resolve(local.path, store: cache()).path, local.standardizedFileURL.path)
        XCTAssertEqual(server.requests.count, 0)

        let empty = cacheRoot.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try ModelResolver.resolve(empty.path, store: cache())) { error in
            guard case ModelStoreError.localDirectoryWithoutConfig = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try ModelResolver.resolve("./does-not-exist", store: cache())) { error in
            guard case ModelStoreError.fileSystem = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(ModelResolver.defaultModel, "openai/clip-vit-base-patch32")
    }
}
