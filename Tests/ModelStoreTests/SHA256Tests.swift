import Foundation
import XCTest
@testable import ModelStore

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 / NIST CAVP example vectors.
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hexDigest(of: Array("".utf8)),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hexDigest(of: Array("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hexDigest(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hexDigest(of: Array(("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn" +
                                                   "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu").utf8)),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        var million = SHA256()
        let block = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { million.update(block) }
        XCTAssertEqual(million.hexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Lengths around the padding boundaries, fed in awkward pieces, against coreutils' sha256sum
    /// (an independent implementation).
    func testStreamingMatchesSha256sumAcrossBlockBoundaries() throws {
        var generator = SplitMix64(seed: 7)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sha256-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for length in [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 65_537] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            var hasher = SHA256()
            var offset = 0
            var piece = 1
            while offset < length {
                let end = min(length, offset + piece)
                hasher.update(bytes[offset..<end])
                offset = end
                piece = piece * 3 + 1
            }
            let file = directory.appendingPathComponent("\(length).bin")
            try Data(bytes).write(to: file)
            XCTAssertEqual(hasher.hexDigest(), try sha256sum(file), "length \(length)")
            XCTAssertEqual(SHA256.hexDigest(of: bytes), hasher.hexDigest(), "length \(length)")
        }
    }

    private func sha256sum(_ file: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}

/// Deterministic bytes for test files.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
    mutating func bytes(_ count: Int) -> Data {
        var data = Data(capacity: count)
        for _ in 0..<count { data.append(UInt8(truncatingIfNeeded: next() >> 24)) }
        return data
    }
}
