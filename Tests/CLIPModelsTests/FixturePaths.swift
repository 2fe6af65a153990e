import CLIPModels
import Foundation
import XCTest

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

/// Checks an embedder's logit scale and its image–text logits (scale × cosine) against a reference
/// `expected.json`; `tolerance(logit, scale)` is the allowed difference for one logit.
func assertLogitsMatch(_ embedder: CLIPEmbedder, expected: [String: Any], model name: String,
                       tolerance: (Float, Float) -> Float, file: StaticString = #filePath, line: UInt = #line) throws {
    let scale = try XCTUnwrap((expected["logit_scale_exp"] as? NSNumber)?.floatValue, file: file, line: line)
    XCTAssertEqual(embedder.model.logitScale, scale, accuracy: scale * 1e-6, file: file, line: line)
    let texts = (expected["texts"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
    let files = (expected["images"] as? [[String: Any]] ?? []).compactMap { $0["file"] as? String }
    let rows = (expected["logits_per_image"] as? [[Any]] ?? []).map(floats)
    XCTAssertEqual(rows.count, files.count, file: file, line: line)
    let textVectors = try embedder.embed(texts: texts)
    let imageVectors = try embedder.embed(imageFiles: files.map { FixturePaths.photos.appendingPathComponent($0) }).map { try $0.get() }
    for (imageIndex, row) in rows.enumerated() {
        for (textIndex, logit) in row.enumerated() {
            let cosine = zip(imageVectors[imageIndex], textVectors[textIndex]).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(cosine * embedder.model.logitScale, logit, accuracy: tolerance(logit, scale),
                           "\(name): logit image \(imageIndex) text \(textIndex)", file: file, line: line)
        }
    }
}
