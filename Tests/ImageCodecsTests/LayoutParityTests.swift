import Foundation
import ModelStore
import XCTest

@testable import ImageCodecs

/// Layouts from the robustness sweep that Pillow opens and our decoders once refused or decoded
/// differently. The all-photos parity test covers them too; these name each case and check the
/// error paths around them.
final class LayoutParityTests: XCTestCase {
    /// Decodes a fixture photo and requires Pillow's exact bytes (index.json).
    @discardableResult
    private func assertMatchesPillow(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> RGBImage {
        let expected = try XCTUnwrap(Fixtures.index().decoded[name], "\(name) is missing from index.json", file: file, line: line)
        let image = try ImageDecoder.decode(fileAt: Fixtures.photos.appendingPathComponent(name))
        XCTAssertEqual(image.width, expected.width, name, file: file, line: line)
        XCTAssertEqual(image.height, expected.height, name, file: file, line: line)
        XCTAssertEqual(SHA256.hexDigest(of: image.pixels), expected.sha256, "\(name): pixels differ from Pillow", file: file, line: line)
        return image
    }

    func testTopDownBMPDecodesLikePillow() throws {
        let info = try ImageDecoder.readInfo(fileAt: Fixtures.photos.appendingPathComponent("coffee-topdown.bmp"))
        XCTAssertEqual(info.storedWidth, 41)
        XCTAssertEqual(info.storedHeight, 27)
        try assertMatchesPillow("coffee-topdown.bmp")
    }

    func testNegativeBMPWidthIsCorruptNotTooLarge() {
        let path = Fixtures.bad.appendingPathComponent("negative-width.bmp")
        XCTAssertThrowsError(try ImageDecoder.decode(fileAt: path)) { error in
            guard case ImageCodecError.corrupt(let name, let reason) = error else {
                return XCTFail("expected a corrupt-image error, got \(error)")
            }
            XCTAssertEqual(name, path.path)
            XCTAssertTrue(reason.contains("invalid BMP header"), reason)
            XCTAssertFalse("\(error)".contains("too large"), "\(error)")
        }
    }

    func testRGBATIFFWithUnassociatedAlphaKeepsStoredColour() throws {
        // libtiff's RGBA interface premultiplies such colour by alpha; Pillow keeps it.
        try assertMatchesPillow("chelsea-rgba-unassociated.tif")
        try assertMatchesPillow("chelsea-rgba-planar.tif")
    }

    func testRGBATIFFWithAssociatedAlphaIsUnpremultipliedLikePillow() throws {
        let image = try assertMatchesPillow("chelsea-rgba-associated.tif")
        // The top-left pixel has alpha 0, where Pillow's RGBa unpacker gives black.
        XCTAssertEqual(Array(image.pixels[0..<3]), [0, 0, 0])
    }

    func testAnimatedWebPDecodesItsFirstFrameOnTheCanvas() throws {
        let info = try ImageDecoder.readInfo(fileAt: Fixtures.photos.appendingPathComponent("chelsea-animated.webp"))
        XCTAssertEqual(info.format, .webp)
        XCTAssertEqual(info.width, 48)
        XCTAssertEqual(info.height, 32)
        let image = try assertMatchesPillow("chelsea-animated.webp")
        // Rows 8-15 of the first frame are fully transparent: Pillow shows the canvas's black there.
        let row = 10 * image.width * 3
        XCTAssertEqual(Set(image.pixels[row..<(row + image.width * 3)]), [0])
    }

    func testAnimatedWebPCanvasSizeIsCheckedBeforeDecoding() throws {
        var data = try Data(contentsOf: Fixtures.photos.appendingPathComponent("chelsea-animated.webp"))
        XCTAssertEqual(String(decoding: data[12..<16], as: UTF8.self), "VP8X")
        // The VP8X chunk stores canvas width - 1 and height - 1 as 24-bit little-endian values.
        for offset in [24, 27] {
            data[offset] = 0xFF
            data[offset + 1] = 0x3F
            data[offset + 2] = 0
        }
        XCTAssertThrowsError(try ImageDecoder.decode(data: data, name: "bomb.webp")) { error in
            XCTAssertEqual(error as? ImageCodecError,
                           .tooLarge(name: "bomb.webp", width: 16384, height: 16384, maxPixels: 178_956_970))
        }
    }
}
