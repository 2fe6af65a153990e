@testable import CLIPModels
import Foundation
import XCTest

/// The PyTorch .bin reader against torch.save archives written by make_openclip_fixtures.py.
final class PickleReaderTests: XCTestCase {
    static let folder = FixturePaths.root.appendingPathComponent("openclip/pickle")

    func expectedTensors() throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent("expected.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap(root["tensors"] as? [String: [String: Any]])
    }

    func values(_ checkpoint: PyTorchCheckpoint, _ name: String) throws -> [Float] {
        let shape = try XCTUnwrap(checkpoint.tensorShapes[name], name)
        var result = [Float](repeating: .nan, count: shape.reduce(1, *))
        try result.withUnsafeMutableBufferPointer { try checkpoint.readFloats(named: name, into: $0.baseAddress!) }
        return result
    }

    func testViewsDtypesAndParametersMatchTorch() throws {
        let checkpoint = try PyTorchCheckpoint(fileAt: Self.folder.appendingPathComponent("views.bin"))
        let expected = try expectedTensors().filter { !$0.key.contains(":") }
        XCTAssertEqual(Set(checkpoint.entries.keys), Set(expected.keys))
        for (name, entry) in expected {
            let shape = ((entry["shape"] as? [Any]) ?? []).compactMap { ($0 as? NSNumber)?.intValue }
            XCTAssertEqual(checkpoint.tensorShapes[name], shape, name)
            XCTAssertEqual(try values(checkpoint, name), floats(entry["values"]), name)
        }
        XCTAssertEqual(checkpoint.entries["f16"]?.storageType, .float16)
        XCTAssertEqual(checkpoint.entries["bf16"]?.storageType, .bfloat16)
        XCTAssertEqual(checkpoint.entries["f32_transposed"]?.strides, [1, 3])
        XCTAssertGreaterThan(checkpoint.entries["f32_slice"]?.offset ?? 0, 0)
    }

    func testTrainingCheckpointUnwrapsStateDictAndModulePrefix() throws {
        let checkpoint = try PyTorchCheckpoint(fileAt: Self.folder.appendingPathComponent("training.bin"))
        XCTAssertEqual(Array(checkpoint.entries.keys), ["weight"])
        XCTAssertEqual(try values(checkpoint, "weight"), floats(try expectedTensors()["training:weight"]?["values"]))
    }

    func testForeignGlobalIsRefusedByName() {
        XCTAssertThrowsError(try PyTorchCheckpoint(fileAt: Self.folder.appendingPathComponent("refused-global.bin"))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("refused pickle global 'posix.system'"), text)
            XCTAssertTrue(text.contains("refused-global.bin"), text)
        }
    }

    /// The mapped-file path names the file for each way opening it can fail (the in-memory path is fuzzed below).
    func testMissingAndTooShortFilesAreNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pickle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("absent.bin")
        XCTAssertThrowsError(try PyTorchCheckpoint(fileAt: missing)) { error in
            XCTAssertTrue("\(error)".contains("absent.bin"), "\(error)")
            guard case ModelError.fileMissing = error else { return XCTFail("\(error)") }
        }
        let short = folder.appendingPathComponent("short.bin")
        try Data("PK\u{3}\u{4}tiny".utf8).write(to: short)
        XCTAssertThrowsError(try PyTorchCheckpoint(fileAt: short)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("short.bin") && text.contains("8 bytes is too short to be a zip archive"), text)
        }
    }

    func testLegacyFormatIsRefusedClearly() {
        XCTAssertThrowsError(try PyTorchCheckpoint(fileAt: Self.folder.appendingPathComponent("legacy.bin"))) { error in
            XCTAssertTrue("\(error)".contains("legacy"), "\(error)")
        }
    }

    func testHandWrittenPicklesCannotReachCode() throws {
        // GLOBAL 'builtins eval' then REDUCE: refused at the GLOBAL, before any call could be formed.
        let evil: [UInt8] = [0x80, 0x02] + Array("cbuiltins\neval\n".utf8) + [0x58, 4, 0, 0, 0] + Array("1+1)".utf8) + [0x85, 0x52, 0x2E]
        XCTAssertThrowsError(try evil.withUnsafeBytes { buffer -> PickleValue in
            var reader = PickleReader(bytes: buffer, path: "evil.pkl")
            return try reader.read()
        }) { error in XCTAssertTrue("\(error)".contains("'builtins.eval'"), "\(error)") }
        // NEWOBJ / INST / OBJ build arbitrary objects: not state-dict opcodes.
        for opcode: UInt8 in [0x81, 0x69, 0x6F, 0x92] {
            let bytes: [UInt8] = [0x80, 0x02, 0x29, 0x29, opcode, 0x2E]
            XCTAssertThrowsError(try bytes.withUnsafeBytes { buffer -> PickleValue in
                var reader = PickleReader(bytes: buffer, path: "opcode.pkl")
                return try reader.read()
            }, String(format: "opcode 0x%02X", opcode))
        }
    }

    /// Mutated archives (bit flips, truncation, random bytes, huge lengths) must throw or load, never crash.
    func testFuzzedArchivesThrowOrLoadButNeverCrash() throws {
        let sources = try ["views.bin", "training.bin"].map { try Data(contentsOf: Self.folder.appendingPathComponent($0)) }
            + [try Data(contentsOf: FixturePaths.root.appendingPathComponent("openclip/vit-tiny/open_clip_pytorch_model.bin"))]
        var generator = SeededGenerator(seed: 2024)
        var loaded = 0, refused = 0
        let started = Date()
        for iteration in 0..<6000 {
            let original = sources[iteration % sources.count]
            var bytes = [UInt8](original)
            // The large file is mostly tensor data: aim at its pickle (start) and central directory (end).
            func position() -> Int {
                let count = bytes.count
                guard count > 8192 else { return Int(generator.next() % UInt64(max(count, 1))) }
                let offset = Int(generator.next() % 4096)
                return generator.next() % 2 == 0 ? offset : count - 1 - offset
            }
            switch generator.next() % 5 {
            case 0:
                for _ in 0..<(1 + Int(generator.next() % 4)) { bytes[position()] ^= UInt8(1 << (generator.next() % 8)) }
            case 1:
                bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count))))
            case 2:
                let start = position()
                for index in start..<min(bytes.count, start + 1 + Int(generator.next() % 16)) { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
            case 3:
                let start = position()
                for index in start..<min(bytes.count, start + 4 + Int(generator.next() % 5)) { bytes[index] = 0xFF }
            default:
                let start = position(), length = 1 + Int(generator.next() % 64)
                bytes.removeSubrange(start..<min(bytes.count, start + length))
            }
            do {
                let checkpoint = try PyTorchCheckpoint(data: Data(bytes), path: "fuzz-\(iteration).bin")
                for (name, shape) in checkpoint.tensorShapes where shape.reduce(1, *) < 1 << 22 {
                    var buffer = [Float](repeating: 0, count: max(1, shape.reduce(1, *)))
                    try buffer.withUnsafeMutableBufferPointer { try checkpoint.readFloats(named: name, into: $0.baseAddress!) }
                }
                loaded += 1
            } catch let error as ModelError {
                XCTAssertTrue("\(error)".contains("fuzz-\(iteration).bin"), "error does not name its file: \(error)")
                refused += 1
            }
        }
        print("pickle fuzz: \(loaded) mutated archives loaded, \(refused) refused, in \(Date().timeIntervalSince(started)) s")
        XCTAssertGreaterThan(refused, 1000)
    }
}
