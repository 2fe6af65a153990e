import Foundation

/// One file of a cached model as it is on disk.
public struct CachedFile: Sendable, Equatable {
    public let name: String
    public let bytes: Int64
    /// Recorded at download time (LFS files are verified against the hub's hash; small files are hashed too).
    public let sha256: String?
}

/// The state of one model folder in the cache.
public struct CachedModel: Sendable {
    public let identifier: ModelIdentifier
    public let directory: URL
    /// The hub commit the files came from, when they were downloaded by this tool.
    public let commit: String?
    public let files: [CachedFile]
    public let missingRequiredFiles: [String]
    /// Files with a `.incomplete` download waiting to be resumed.
    public let partialFiles: [String]

    public var isComplete: Bool { missingRequiredFiles.isEmpty }
    public var totalBytes: Int64 { files.reduce(0) { $0 + $1.bytes } }
}

/// The manifest written next to the files after a successful pull.
struct ModelManifest: Codable {
    struct Entry: Codable {
        var size: Int64
        var etag: String?
        var sha256: String?
    }
    static let fileName = ".clip-search-model.json"

    var repository: String
    var revision: String
    var commit: String?
    var files: [String: Entry]
    var absentOptionalFiles: [String]
    var downloadedAt: Date
}

/// A cache of Hugging Face model folders: `<modelsDirectory>/<owner>--<name>/config.json, …`.
public final class ModelCache: Sendable {
    public let configuration: ModelStoreConfiguration
    public let progress: DownloadProgressReporter

    public init(configuration: ModelStoreConfiguration = .fromEnvironment(),
                progress: DownloadProgressReporter = StandardErrorProgressReporter()) {
        self.configuration = configuration
        self.progress = progress
    }

    public func directory(for identifier: ModelIdentifier) -> URL {
        configuration.modelsDirectory.appendingPathComponent(identifier.folderName, isDirectory: true)
    }

    public func cachedModel(_ identifier: ModelIdentifier) -> CachedModel {
        let directory = directory(for: identifier)
        let manifest = readManifest(in: directory)
        var files: [CachedFile] = []
        var partial: [String] = []
        for name in ModelFiles.all {
            let url = directory.appendingPathComponent(name)
            if let size = HubClient.fileSize(url) {
                files.append(CachedFile(name: name, bytes: size, sha256: manifest?.files[name]?.sha256))
            }
            if HubClient.fileSize(URL(fileURLWithPath: url.path + ".incomplete")) != nil { partial.append(name) }
        }
        let present = Set(files.map(\.name))
        return CachedModel(identifier: identifier, directory: directory, commit: manifest?.commit, files: files,
                           missingRequiredFiles: ModelFiles.required.filter { !present.contains($0) }, partialFiles: partial)
    }

    /// Every model folder under the cache, complete or not, sorted by id.
    public func listCachedModels() throws -> [CachedModel] {
        let root = configuration.modelsDirectory
        guard FileManager.default.fileExists(atPath: root.path) else { return [] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: root.path) } catch {
            throw ModelStoreError.fileSystem(path: root.path, reason: "cannot list: \(error.localizedDescription)")
        }
        return names.sorted().compactMap { name -> CachedModel? in
            let directory = root.appendingPathComponent(name, isDirectory: true)
            let identifier: ModelIdentifier?
            if let manifest = readManifest(in: directory) {
                identifier = try? ModelIdentifier(repository: manifest.repository, revision: manifest.revision)
            } else {
                identifier = ModelIdentifier(folderName: name)
            }
            guard let identifier, identifier.folderName == name else { return nil }
            return cachedModel(identifier)
        }
    }

    /// The model's folder, from the cache when it is complete there, otherwise downloaded (unless offline).
    public func ensureAvailable(_ identifier: ModelIdentifier) throws -> URL {
        let cached = cachedModel(identifier)
        if cached.isComplete { return cached.directory }
        guard !configuration.offline else {
            throw ModelStoreError.notCached(repository: identifier.description, directory: cached.directory.path,
                                            missingFiles: cached.missingRequiredFiles)
        }
        return try pull(identifier).directory
    }

    /// Brings the cached copy up to date with the hub: files whose hub ETag differs from the recorded one
    /// are downloaded (resuming partial files), unchanged ones are kept. Offline, returns the cached copy
    /// when complete.
    @discardableResult
    public func pull(_ identifier: ModelIdentifier) throws -> CachedModel {
        let directory = directory(for: identifier)
        if configuration.offline {
            let cached = cachedModel(identifier)
            guard cached.isComplete else {
                throw ModelStoreError.notCached(repository: identifier.description, directory: directory.path,
                                                missingFiles: cached.missingRequiredFiles)
            }
            return cached
        }
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw ModelStoreError.fileSystem(path: directory.path, reason: "cannot create the cache folder: \(error.localizedDescription)")
        }
        let previous = readManifest(in: directory)
        let client = HubClient(configuration: configuration, progress: progress)
        var manifest = ModelManifest(repository: identifier.repository, revision: identifier.revision, commit: nil,
                                     files: [:], absentOptionalFiles: [], downloadedAt: Date())
        // After the first answer, ask for the commit it named so a push during the pull cannot mix versions.
        var pinned = identifier
        for name in ModelFiles.all {
            guard let remote = try client.metadata(for: pinned, file: name) else {
                if ModelFiles.required.contains(name) {
                    let url = (try? configuration.resolveURL(for: pinned, file: name).absoluteString) ?? name
                    throw ModelStoreError.requiredFileMissing(repository: identifier.description, file: name, url: url)
                }
                manifest.absentOptionalFiles.append(name)
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
                continue
            }
            if manifest.commit == nil, let commit = remote.commit, commit.count == 40, commit.allSatisfy(\.isHexDigit) {
                manifest.commit = commit
                pinned = (try? ModelIdentifier(repository: identifier.repository, revision: commit)) ?? identifier
            }
            let destination = directory.appendingPathComponent(name)
            if let recorded = previous?.files[name], recorded.etag != nil, recorded.etag == remote.etag,
               HubClient.fileSize(destination) == recorded.size {
                manifest.files[name] = recorded
                continue
            }
            let digest = try client.download(remote, to: destination)
            manifest.files[name] = ModelManifest.Entry(size: HubClient.fileSize(destination) ?? 0, etag: remote.etag, sha256: digest)
        }
        try writeManifest(manifest, in: directory)
        progress.note("\(identifier) is ready in \(directory.path)")
        return cachedModel(identifier)
    }

    private func readManifest(in directory: URL) -> ModelManifest? {
        let url = directory.appendingPathComponent(ModelManifest.fileName)
        guard let data = try? Data(contentsOf: url) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(ModelManifest.self, from: data)
    }

    private func writeManifest(_ manifest: ModelManifest, in directory: URL) throws {
        let url = directory.appendingPathComponent(ModelManifest.fileName)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { try encoder.encode(manifest).write(to: url, options: .atomic) } catch {
            throw ModelStoreError.fileSystem(path: url.path, reason: "cannot write the manifest: \(error.localizedDescription)")
        }
    }
}
