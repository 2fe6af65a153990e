import Foundation
import SearchCore

enum SearchFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let photos = root.appendingPathComponent("photos")
    static let gallery = root.appendingPathComponent("gallery")
    static func model(_ name: String = "tiny-quickgelu") -> URL { root.appendingPathComponent("models/\(name)") }

    nonisolated(unsafe) static var loaded: [String: SearchModel] = [:]
    static let lock = NSLock()

    static func searchModel(_ name: String = "tiny-quickgelu") throws -> SearchModel {
        try lock.withLock {
            if let model = loaded[name] { return model }
            let model = try SearchModel.load(argument: model(name).path)
            loaded[name] = model
            return model
        }
    }

    /// A writable copy of the checked-in gallery.
    static func galleryCopy() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("search-core-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let target = folder.appendingPathComponent("gallery")
        try FileManager.default.copyItem(at: gallery, to: target)
        return target
    }
}
