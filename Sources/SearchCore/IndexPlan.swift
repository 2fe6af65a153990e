import Catalog
import Foundation

/// The scan stage's result: one walk of every root, and the catalog's rows under them.
struct IndexScan {
    var roots: [String]
    var files: [String: ScannedFile]
    /// Rows of the media types this run indexes, by path.
    var known: [String: MediaState]
    var unreadableFolders: [String]
}

/// The classify stage's result: what needs work, what is unchanged, which rows lost their file.
struct IndexPlan {
    var roots: [String]
    /// `scanned` and `unchanged` so far.
    var counters: IndexRunCounters
    /// Files needing work, in path order.
    var photos: [ScannedFile]
    var videos: [ScannedFile]
    var known: [String: MediaState]
    /// Rows whose file is gone (except under folders that could not be listed), in path order:
    /// candidates for moves, removed at the end of a complete run.
    var missing: [MediaState]
    var unreadableFolders: [String]
}

extension Indexer {
    /// Walks the roots once for the media types this run indexes (photos, and videos when asked).
    func scan(_ options: IndexOptions) throws -> IndexScan {
        let types: Set<MediaType> = options.videos == nil ? [.photo] : [.photo, .video]
        var extensions = Dictionary(uniqueKeysWithValues: MediaScanner.photoExtensions.map { ($0, MediaType.photo) })
        if types.contains(.video) {
            for videoExtension in MediaScanner.videoExtensions { extensions[videoExtension] = .video }
        }
        let scanner = MediaScanner(includeHidden: options.includeHidden, extensions: extensions)
        var scan = IndexScan(roots: options.roots.map(MediaScanner.absolutePath), files: [:], known: [:], unreadableFolders: [])
        for root in scan.roots {
            let result = try scanner.scan(root: root)
            for file in result.files { scan.files[file.path] = file }
            scan.unreadableFolders += result.unreadableFolders
            // Rows of a type this run does not index (videos without ffmpeg) are left alone.
            for state in try catalog.mediaStates(under: root, modelID: model.identifier) where types.contains(state.record.mediaType) {
                scan.known[state.record.path] = state
            }
        }
        return scan
    }

    /// Files whose size and modification time match a row that has a vector (or failed before) are
    /// unchanged and never read; the others need work.
    func classify(_ scan: IndexScan) -> IndexPlan {
        var plan = IndexPlan(roots: scan.roots, counters: IndexRunCounters(), photos: [], videos: [], known: scan.known,
                             missing: [], unreadableFolders: scan.unreadableFolders)
        plan.counters.scanned = scan.files.count
        for file in scan.files.values.sorted(by: { $0.path < $1.path }) {
            if let state = scan.known[file.path], state.record.size == file.size, state.record.modificationTime == file.modificationTime,
               state.hasEmbedding || state.record.status == .failed {
                plan.counters.unchanged += 1
            } else if file.mediaType == .video {
                plan.videos.append(file)
            } else {
                plan.photos.append(file)
            }
        }
        plan.missing = scan.known.values.filter { state in
            scan.files[state.record.path] == nil && !scan.unreadableFolders.contains { state.record.path.hasPrefix($0 + "/") }
        }.sorted { $0.record.path < $1.record.path }
        return plan
    }
}
