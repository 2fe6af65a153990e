import Foundation
import XCTest

@testable import ImageCodecs

/// HEIC/AVIF through Debian's libheif against pillow-heif's decode of the same files
/// (Tests/Fixtures/images/heif, made by scripts/fixtures/make_heif_fixtures.py).
final class HEIFDecodeTests: XCTestCase {
    static let folder = Fixtures.root.appendingPathComponent("images/heif")

    private func file(_ name: String) -> URL { Self.folder.appendingPathComponent(name) }

    private func requireDecoder(_ format: ImageFormat) throws {
        guard HEIFSupport.canDecode(format) else {
            throw XCTSkip("this libheif has no \(format.rawValue) decoder (install libheif's plugin packages)")
        }
    }

    /// Mean and maximum absolute channel difference.
    private func difference(_ left: RGBImage, _ right: RGBImage) -> (mean: Double, maximum: Int) {
        var total = 0, maximum = 0
        for (a, b) in zip(left.pixels, right.pixels) {
            let delta = abs(Int(a) - Int(b))
            total += delta
            maximum = max(maximum, delta)
        }
        return (Double(total) / Double(max(1, left.pixels.count)), maximum)
    }

    private func compare(_ name: String, with referenceName: String, maximumMean: Double, maximumDelta: Int) throws {
        let decoded = try ImageDecoder.decode(fileAt: file(name))
        let reference = try ImageDecoder.decode(fileAt: file(referenceName))
        XCTAssertEqual([decoded.width, decoded.height], [reference.width, reference.height], name)
        let (mean, maximum) = difference(decoded, reference)
        XCTAssertLessThanOrEqual(mean, maximumMean, "\(name) vs \(referenceName)")
        XCTAssertLessThanOrEqual(maximum, maximumDelta, "\(name) vs \(referenceName)")
    }

    func testHEICMatchesPillowHeifWithinRounding() throws {
        try requireDecoder(.heif)
        // Same HEVC decoder family; only the YCbCr→RGB rounding may differ by one.
        try compare("coffee.heic", with: "coffee.heic.reference.png", maximumMean: 0.1, maximumDelta: 2)
    }

    func testAVIFMatchesPillowHeifAndDebiansHeifConvert() throws {
        try requireDecoder(.avif)
        // libheif 1.15 upsamples 4:2:0 chroma differently from pillow-heif's libheif 1.23: edges
        // differ by up to ~30 levels, the mean by ~1.6 (measured), the luma is identical.
        try compare("coffee.avif", with: "coffee.avif.reference.png", maximumMean: 2.5, maximumDelta: 40)
        try compare("coffee.avif", with: "coffee.avif.heif-convert.png", maximumMean: 0.05, maximumDelta: 1)
    }

    func testRotatedHEICIsUprightOnceNotTwice() throws {
        try requireDecoder(.heif)
        // Stored 100x150 with irot (270°) and, as cameras write it, EXIF Orientation 6 as well.
        let data = try Data(contentsOf: file("chelsea-irot.heic"))
        let raw = try ImageDecoder.runDecoder(.heif, data: data, name: "chelsea-irot.heic", limits: .default, headerOnly: true)
        XCTAssertEqual(ExifOrientation.read(fromExif: raw.exif), 6, "the fixture must carry the EXIF tag")
        let info = try ImageDecoder.readInfo(fileAt: file("chelsea-irot.heic"))
        XCTAssertEqual([info.width, info.height, info.orientation], [150, 100, 1])
        try compare("chelsea-irot.heic", with: "chelsea-irot.heic.reference.png", maximumMean: 0.1, maximumDelta: 2)
        // The upright cat also matches the original JPEG after its own EXIF rotation (lossy twice).
        let jpeg = try ImageDecoder.decode(fileAt: Fixtures.photos.appendingPathComponent("chelsea-exif6.jpg"))
        let heic = try ImageDecoder.decode(fileAt: file("chelsea-irot.heic"))
        XCTAssertEqual([jpeg.width, jpeg.height], [heic.width, heic.height])
        XCTAssertLessThan(difference(jpeg, heic).mean, 6)
    }

    func testSniffingReadsTheFtypBrands() throws {
        XCTAssertEqual(ImageFormat.sniff(try Data(contentsOf: file("coffee.heic"))), .heif)
        XCTAssertEqual(ImageFormat.sniff(try Data(contentsOf: file("coffee.avif"))), .avif)
        func box(_ major: String, _ compatible: [String]) -> [UInt8] {
            let body = Array(major.utf8) + [0, 0, 0, 0] + compatible.flatMap { Array($0.utf8) }
            let size = 8 + body.count
            return [0, 0, 0, UInt8(size)] + Array("ftyp".utf8) + body
        }
        XCTAssertEqual(ImageFormat.sniff(box("mif1", ["mif1", "avif", "miaf"])), .avif)
        XCTAssertEqual(ImageFormat.sniff(box("mif1", ["heic"])), .heif)
        XCTAssertEqual(ImageFormat.sniff(box("heix", [])), .heif)
        XCTAssertNil(ImageFormat.sniff(box("isom", ["iso2", "mp41"])), "an MP4 is not an image")
        XCTAssertNil(ImageFormat.sniff(box("crx ", [])), "Canon raw is not HEIF")
    }

    func testTruncatedHEICIsACorruptImageError() throws {
        let path = file("coffee-truncated.heic").path
        XCTAssertThrowsError(try ImageDecoder.decode(fileAt: URL(fileURLWithPath: path))) { error in
            guard case ImageCodecError.corrupt(let name, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, path)
            XCTAssertTrue(reason.hasPrefix("heif: "), reason)
            XCTAssertFalse("\(error)".contains("\n"))
        }
    }

    func testDeclaredSizeIsCheckedBeforeDecoding() throws {
        try requireDecoder(.heif)
        let url = file("coffee.heic")
        XCTAssertThrowsError(try ImageDecoder.decode(fileAt: url, limits: DecodeLimits(maxPixels: 10_000))) { error in
            // The coded size (160x108, cropped to 107 rows by the clean aperture) is what libheif decodes.
            XCTAssertEqual(error as? ImageCodecError, .tooLarge(name: url.path, width: 160, height: 108, maxPixels: 10_000))
        }
        // A bomb: the same file whose ispe box declares 20000x20000 (400 M pixels) while its clean
        // aperture (clap) still shows 160x107: libheif would decode the whole coded size.
        var bytes = [UInt8](try Data(contentsOf: url))
        let marker = Array("ispe".utf8)
        let start = try XCTUnwrap((0..<(bytes.count - 16)).first { Array(bytes[$0..<($0 + 4)]) == marker })
        for (offset, value) in [(start + 8, UInt32(20_000)), (start + 12, UInt32(20_000))] {
            for byte in 0..<4 { bytes[offset + byte] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(byte))) }
        }
        XCTAssertThrowsError(try ImageDecoder.decode(data: Data(bytes), name: "bomb.heic")) { error in
            XCTAssertEqual(error as? ImageCodecError,
                           .tooLarge(name: "bomb.heic", width: 20_000, height: 20_000, maxPixels: DecodeLimits.default.maxPixels))
        }
    }
}
