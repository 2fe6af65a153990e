import Foundation
import ModelStore
import XCTest

@testable import ImageCodecs

/// Every photo must decode to exactly the bytes of
/// `ImageOps.exif_transpose(Image.open(path)).convert("RGB")` (Pillow, see index.json).
final class DecodeParityTests: XCTestCase {
    func testSHA256MatchesKnownVector() {
        XCTAssertEqual(SHA256.hexDigest(of: Array("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testEveryPhotoDecodesExactlyLikePillow() throws {
        let index = try Fixtures.index()
        let names = try Fixtures.photoNames()
        XCTAssertGreaterThanOrEqual(names.count, 25)
        XCTAssertEqual(Set(names), Set(index.decoded.keys), "fixture index and photo folder disagree")
        var failures: [String] = []
        for name in names {
            guard let expected = index.decoded[name] else { continue }
            let image: RGBImage
            do {
                image = try ImageDecoder.decode(fileAt: Fixtures.photos.appendingPathComponent(name))
            } catch {
                failures.append("\(name): threw \(error)")
                continue
            }
            if image.width != expected.width || image.height != expected.height {
                failures.append("\(name): size \(image.width)x\(image.height), Pillow \(expected.width)x\(expected.height)")
                continue
            }
            if SHA256.hexDigest(of: image.pixels) == expected.sha256 { continue }
            var detail = "pixels differ from Pillow"
            if let png = expected.png {
                let reference = try ImageDecoder.decode(fileAt: Fixtures.reference.appendingPathComponent(png))
                let difference = byteDifference(image.pixels, reference.pixels)
                detail += " (max |diff| \(difference.maximum) on \(difference.count) of \(image.pixels.count) bytes)"
            }
            failures.append("\(name): \(detail)")
        }
        XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"))
    }

    func testReadInfoReportsDisplayedSizeWithoutDecoding() throws {
        let info = try ImageDecoder.readInfo(fileAt: Fixtures.photos.appendingPathComponent("chelsea-exif6.jpg"))
        XCTAssertEqual(info.format, .jpeg)
        XCTAssertEqual(info.orientation, 6)
        XCTAssertEqual(info.storedWidth, 100)
        XCTAssertEqual(info.storedHeight, 150)
        XCTAssertEqual(info.width, 150)
        XCTAssertEqual(info.height, 100)
        let png = try ImageDecoder.readInfo(fileAt: Fixtures.photos.appendingPathComponent("coffee-exif8.png"))
        XCTAssertEqual(png.orientation, 8)
    }

    func testAlphaIsDroppedNotComposited() throws {
        // The top rows of chelsea-rgba.png are fully transparent; Pillow's convert("RGB")
        // keeps their colour, which a compositing decoder would turn white or black.
        let image = try ImageDecoder.decode(fileAt: Fixtures.photos.appendingPathComponent("chelsea-rgba.png"))
        let topRow = Array(image.pixels[0..<(image.width * 3)])
        XCTAssertGreaterThan(Set(topRow).count, 20)
    }

    func testJPEGScaledDecodingUsesDCTScaling() throws {
        let data = try Data(contentsOf: Fixtures.photos.appendingPathComponent("rocket-camera.jpg"))
        let raw = try ImageDecoder.runDecoder(.jpeg, data: data, name: "rocket", limits: .default,
                                              headerOnly: false, jpegScaleDenominator: 4)
        XCTAssertEqual(raw.width, 160)
        XCTAssertEqual(raw.height, 107)
        XCTAssertEqual(raw.pixels.count, 160 * 107 * 3)
        let scaled = try ImageDecoder.decode(fileAt: Fixtures.photos.appendingPathComponent("chelsea-exif6.jpg"),
                                             jpegScaleDenominator: 2)
        XCTAssertEqual(scaled.width, 75)  // orientation still applied: stored 50x75
        XCTAssertEqual(scaled.height, 50)
        XCTAssertThrowsError(try ImageDecoder.decode(data: data, name: "rocket", jpegScaleDenominator: 3))
    }
}
