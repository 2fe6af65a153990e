import Foundation
import XCTest

@testable import ImageCodecs

final class BadInputTests: XCTestCase {
    private func decodeError(_ name: String) -> ImageCodecError? {
        do {
            _ = try ImageDecoder.decode(fileAt: Fixtures.bad.appendingPathComponent(name))
            return nil
        } catch let error as ImageCodecError {
            return error
        } catch {
            XCTFail("\(name): non-codec error \(error)")
            return nil
        }
    }

    func testEachBadFileGivesItsError() {
        let path = { (name: String) in Fixtures.bad.appendingPathComponent(name).path }
        XCTAssertEqual(decodeError("empty.jpg"), .empty(name: path("empty.jpg")))
        guard case .unsupportedFormat(let name, _)? = decodeError("random-bytes.jpg") else {
            return XCTFail("random bytes must be an unsupported format")
        }
        XCTAssertEqual(name, path("random-bytes.jpg"))
        guard case .unsupportedFormat? = decodeError("text.png") else { return XCTFail("text.png") }
        guard case .corrupt(_, let jpegReason)? = decodeError("truncated.jpg") else { return XCTFail("truncated.jpg") }
        XCTAssertTrue(jpegReason.contains("truncated"), jpegReason)
        guard case .corrupt(_, let pngReason)? = decodeError("truncated.png") else { return XCTFail("truncated.png") }
        XCTAssertTrue(pngReason.contains("truncated") || pngReason.contains("Read Error"), pngReason)
        XCTAssertEqual(decodeError("missing-file.jpg").map { "\($0)" }?.contains("cannot read file"), true)
    }

    func testDecompressionBombsAreRefusedWithTheirDeclaredSize() {
        XCTAssertEqual(decodeError("bomb.png"),
                       .tooLarge(name: Fixtures.bad.appendingPathComponent("bomb.png").path,
                                 width: 100_000, height: 100_000, maxPixels: 178_956_970))
        XCTAssertEqual(decodeError("bomb.jpg"),
                       .tooLarge(name: Fixtures.bad.appendingPathComponent("bomb.jpg").path,
                                 width: 50_000, height: 50_000, maxPixels: 178_956_970))
        let message = decodeError("bomb.png").map { "\($0)" } ?? ""
        XCTAssertTrue(message.contains("100000x100000"), message)
        XCTAssertFalse(message.contains("\n"))
    }

    func testLimitsApplyToEveryFormat() throws {
        let tight = DecodeLimits(maxPixels: 300)  // the smallest photo has 14x25 = 350 pixels
        for name in try Fixtures.photoNames() {
            XCTAssertThrowsError(
                try ImageDecoder.decode(fileAt: Fixtures.photos.appendingPathComponent(name), limits: tight), name
            ) { error in
                guard case ImageCodecError.tooLarge = error else { return XCTFail("\(name): \(error)") }
            }
        }
    }

    /// Every prefix and a bit-flipped copy of each photo must fail cleanly or decode, never crash.
    func testDamagedPhotosNeverCrash() throws {
        for name in try Fixtures.photoNames() {
            let data = try Data(contentsOf: Fixtures.photos.appendingPathComponent(name))
            for fraction in [0.02, 0.3, 0.7, 0.97] {
                _ = try? ImageDecoder.decode(data: data.prefix(Int(Double(data.count) * fraction)), name: name)
            }
            var flipped = data
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            for _ in 0..<24 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let position = 16 + Int(state >> 33) % max(1, data.count - 16)
                if position < flipped.count { flipped[position] ^= UInt8(truncatingIfNeeded: state >> 13) | 1 }
            }
            _ = try? ImageDecoder.decode(data: flipped, name: name)
        }
    }

    func testFormatIsSniffedFromContentNotExtension() throws {
        let expectations: [String: ImageFormat] = [
            "rocket-camera.jpg": .jpeg, "coffee-rgb.png": .png, "chelsea-animated.gif": .gif,
            "coffee-lossy.webp": .webp, "chelsea-24bit.bmp": .bmp, "coffee-rgb.tif": .tiff,
        ]
        for (name, format) in expectations {
            let data = try Data(contentsOf: Fixtures.photos.appendingPathComponent(name))
            XCTAssertEqual(ImageFormat.sniff(data), format, name)
            // Same bytes under a misleading name still decode as what they are.
            let info = try ImageDecoder.readInfo(data: data, name: "misnamed.txt")
            XCTAssertEqual(info.format, format)
        }
        XCTAssertNil(ImageFormat.sniff(Data("hello".utf8)))
    }
}
