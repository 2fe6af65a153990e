import Catalog
import Foundation

/// A file found by the scan, with the identity the incremental check compares (no bytes read).
public struct ScannedFile: Sendable, Equatable {
    public var path: String
    public var size: Int64
    public var modificationTime: Double
    public var mediaType: MediaType
}

/// Walks folders for media files: follows symbolic links but visits each real folder and lists each
/// real file once (no loops, no duplicates), skips hidden entries unless asked, and reports
/// unreadable folders instead of failing.
public struct MediaScanner: Sendable {
    public static let photoExtensions: Set<String> = [
        "jpg", "jpeg", "jpe", "jfif", "png", "webp", "gif", "bmp", "tif", "tiff", "heic", "heif", "hif", "avif",
    ]
    public static let videoExtensions: Set<String> = [
        "mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ts", "m2ts", "wmv", "flv", "3gp", "ogv",
    ]

    public var includeHidden: Bool
    /// Lower-case extension → media type (photos only unless given; the indexer adds videos).
    public var extensions: [String: MediaType]

    public init(includeHidden: Bool = false, extensions: [String: MediaType]? = nil) {
        self.includeHidden = includeHidden
        self.extensions = extensions ?? Dictionary(uniqueKeysWithValues: Self.photoExtensions.map { ($0, MediaType.photo) })
    }

    /// Absolute, standardised form of a user-given path (relative to the working directory).
    public static func absolutePath(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        let url = expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded)
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(expanded)
        var result = url.standardizedFileURL.path
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        return result
    }

    /// Files under `root` (or `root` itself when it is a file), sorted by path, plus folders that
    /// could not be listed.
    public func scan(root: String) throws -> (files: [ScannedFile], unreadableFolders: [String]) {
        let rootPath = Self.absolutePath(root)
        guard let rootStatus = Self.status(rootPath) else { throw SearchError.notAFolder(path: rootPath) }
        if rootStatus.st_mode & S_IFMT == S_IFREG {
            return (mediaFile(rootPath, rootStatus).map { [$0] } ?? [], [])
        }
        var files: [ScannedFile] = []
        var unreadable: [String] = []
        // Folders and files are identified by (device, inode): a path comparison misses loops through
        // relative links (`up -> ../in`), which would otherwise be walked until the path is too long.
        var visitedFolders = Set<FileIdentity>()
        var seenFiles = [FileIdentity: Int]()
        // Real folders are walked before linked ones, so a file reachable both ways keeps its real path.
        var pending = [rootPath], linked: [String] = []
        while let folder = pending.popLast() ?? linked.popLast() {
            guard let status = Self.status(folder), visitedFolders.insert(FileIdentity(status)).inserted else { continue }
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted(by: >) } catch {
                unreadable.append(folder)
                continue
            }
            for name in names where includeHidden || !name.hasPrefix(".") {
                let path = folder == "/" ? "/" + name : folder + "/" + name
                guard let status = Self.status(path) else { continue }  // dangling link or vanished
                switch status.st_mode & S_IFMT {
                case S_IFDIR:
                    if Self.isSymbolicLink(path) { linked.append(path) } else { pending.append(path) }
                case S_IFREG:
                    guard let file = mediaFile(path, status) else { continue }
                    let identity = FileIdentity(status)
                    if let earlier = seenFiles[identity] {
                        // The same file under two names (a linked file, a hard link): keep the real one.
                        if !Self.isSymbolicLink(path) && Self.isSymbolicLink(files[earlier].path) { files[earlier] = file }
                    } else {
                        seenFiles[identity] = files.count
                        files.append(file)
                    }
                default: continue
                }
            }
        }
        files.sort { $0.path < $1.path }
        return (files, unreadable.sorted())
    }

    private func mediaFile(_ path: String, _ status: stat) -> ScannedFile? {
        let fileExtension = (path as NSString).pathExtension.lowercased()
        guard let type = extensions[fileExtension] else { return nil }
        let seconds = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
        return ScannedFile(path: path, size: Int64(status.st_size), modificationTime: seconds, mediaType: type)
    }

    private static func isSymbolicLink(_ path: String) -> Bool {
        var result = stat()
        return lstat(path, &result) == 0 && result.st_mode & S_IFMT == S_IFLNK
    }

    /// stat(2), following links.
    static func status(_ path: String) -> stat? {
        var result = stat()
        return stat(path, &result) == 0 ? result : nil
    }
}

/// What makes two paths the same file or folder.
private struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64

    init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}
