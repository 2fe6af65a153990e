import Foundation

enum FixturePaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let models = root.appendingPathComponent("models")
    static let photos = root.appendingPathComponent("photos")
    static let configs = root.appendingPathComponent("configs")

    static var committedModelNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: models.path)) ?? []).filter {
            FileManager.default.fileExists(atPath: models.appendingPathComponent($0).appendingPathComponent("expected.json").path)
        }.sorted()
    }

    /// The committed fixture models, plus a full-size checkpoint written by
    /// `make_model_fixtures.py --full-size DIR` when CLIPSEARCH_FULL_SIZE_MODEL names DIR (too large to commit).
    static var modelNames: [String] {
        var names = committedModelNames
        if let extra = ProcessInfo.processInfo.environment["CLIPSEARCH_FULL_SIZE_MODEL"], !extra.isEmpty { names.append(extra) }
        return names
    }

    static func directory(_ model: String) -> URL {
        model.hasPrefix("/") ? URL(fileURLWithPath: model) : models.appendingPathComponent(model)
    }

    static func expected(_ model: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory(model).appendingPathComponent("expected.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }
}

func floats(_ value: Any?) -> [Float] {
    ((value as? [Any]) ?? []).compactMap { ($0 as? NSNumber)?.floatValue }
}

func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
