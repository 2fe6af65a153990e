import CLIPModels
import Foundation
import TensorCore
import XCTest

@testable import Training

enum TrainingFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static func model(_ name: String) -> URL { root.appendingPathComponent("models").appendingPathComponent(name) }
    static func reference(_ name: String) -> URL { root.appendingPathComponent("training").appendingPathComponent("\(name).safetensors") }
    static func chineseModel(_ name: String) -> URL {
        root.appendingPathComponent("chinese-clip").appendingPathComponent("models").appendingPathComponent(name)
    }
    /// The folder of a model that has a reference state: CLIP fixtures, or the Chinese-CLIP one.
    static func directory(_ name: String) -> URL { name.hasPrefix("tiny-cn") ? chineseModel(name) : model(name) }
}

/// The reference state PyTorch wrote (scripts/fixtures/make_training_fixtures.py): batch, loss,
/// gradients and post-step weights, some tensors as a subset of rows.
struct ReferenceState {
    let file: SafeTensorsFile
    let json: [String: Any]
    let pixelValues: Tensor
    let tokenIDs: [[Int]]
    let loss: Float
    let gradientNorms: [String: Double]

    init(model name: String) throws {
        file = try SafeTensorsFile(fileAt: TrainingFixtures.reference(name))
        let text = try XCTUnwrap(file.metadata["reference"], "reference metadata missing")
        json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let pixelEntry = try XCTUnwrap(file.entries["pixel_values"])
        pixelValues = Tensor(uninitializedShape: pixelEntry.shape)
        try file.readFloats(pixelEntry, into: pixelValues.pointer)
        tokenIDs = try XCTUnwrap(json["token_ids"] as? [[Int]])
        loss = Float(try XCTUnwrap(json["loss"] as? Double))
        gradientNorms = try XCTUnwrap(json["gradient_norms"] as? [String: Double])
    }

    func section(_ key: String) throws -> [String: Any] { try XCTUnwrap(json[key] as? [String: Any], key) }

    /// The stored values of `kind.name` and the rows they are (nil: every row).
    func stored(_ kind: String, _ name: String) throws -> (rows: [Int]?, values: [Float]) {
        let entry = try XCTUnwrap(file.entries["\(kind).\(name)"], "\(kind).\(name) missing from the reference")
        var values = [Float](repeating: 0, count: entry.shape.reduce(1, *))
        try values.withUnsafeMutableBufferPointer { try file.readFloats(entry, into: $0.baseAddress!) }
        guard let rowEntry = file.entries["\(kind)_rows.\(name)"] else { return (nil, values) }
        var rows = [Float](repeating: 0, count: rowEntry.shape.reduce(1, *))
        try rows.withUnsafeMutableBufferPointer { try file.readFloats(rowEntry, into: $0.baseAddress!) }
        return (rows.map { Int($0) }, values)
    }

    /// Our tensor's values at the stored rows, in the stored order.
    static func select(_ tensor: Tensor, rows: [Int]?) -> [Float] {
        guard let rows else { return tensor.values }
        let rowSize = tensor.count / max(1, tensor.shape.first ?? 1)
        return rows.flatMap { Array(UnsafeBufferPointer(start: tensor.pointer + $0 * rowSize, count: rowSize)) }
    }
}
