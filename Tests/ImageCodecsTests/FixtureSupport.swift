import Foundation
import XCTest

@testable import ImageCodecs

enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let photos = root.appendingPathComponent("photos")
    static let bad = root.appendingPathComponent("images/bad")
    static let reference = root.appendingPathComponent("images/reference")

    struct DecodedEntry: Decodable {
        let width: Int
        let height: Int
        let sha256: String
        let png: String?
    }

    struct ResizeEntry: Decodable {
        let photo: String
        let width: Int
        let height: Int
        let png: String
    }

    struct CLIPEntry: Decodable {
        let config: String
        let photo: String
        let shape: [Int]
        let bin: String
    }

    struct Index: Decodable {
        let pillow: String
        let transformers: String
        let decoded: [String: DecodedEntry]
        let resize: [ResizeEntry]
        let clip: [CLIPEntry]
    }

    static func index() throws -> Index {
        let data = try Data(contentsOf: reference.appendingPathComponent("index.json"))
        return try JSONDecoder().decode(Index.self, from: data)
    }

    static func photoNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: photos.path)
            .filter { !$0.hasSuffix(".txt") }.sorted()
    }

    static func floats(_ relativePath: String) throws -> [Float] {
        let data = try Data(contentsOf: reference.appendingPathComponent(relativePath))
        return data.withUnsafeBytes { buffer in
            (0..<(data.count / 4)).map { index in
                Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
            }
        }
    }
}

/// Maximum absolute difference and number of differing bytes, for readable failure messages.
func byteDifference(_ left: [UInt8], _ right: [UInt8]) -> (maximum: Int, count: Int) {
    var maximum = 0, count = 0
    for (a, b) in zip(left, right) where a != b {
        count += 1
        maximum = max(maximum, abs(Int(a) - Int(b)))
    }
    return (maximum, count)
}
