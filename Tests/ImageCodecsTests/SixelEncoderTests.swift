import Foundation
import XCTest

@testable import ImageCodecs

/// The sixel output is decoded back by an independent reader written from the DEC VT3xx sixel
/// description (DCS P1;P2;P3 q, "Pan;Pad;Ph;Pv raster attributes, #Pc;2;R;G;B colours in percent,
/// #Pc selection, !Pn repeat, $ carriage return, - next band, ST).
final class SixelEncoderTests: XCTestCase {
    struct Decoded {
        var width = 0, height = 0
        var pixels: [UInt8] = []
        var parameters = ""
    }

    enum SixelSyntaxError: Error { case unexpected(String) }

    static func decodeSixel(_ text: String) throws -> Decoded {
        let bytes = Array(text.utf8)
        guard bytes.count > 4, bytes[0] == 0x1B, bytes[1] == UInt8(ascii: "P"),
              bytes[bytes.count - 2] == 0x1B, bytes[bytes.count - 1] == UInt8(ascii: "\\") else {
            throw SixelSyntaxError.unexpected("no DCS ... ST framing")
        }
        var position = 2
        var result = Decoded()
        while position < bytes.count, bytes[position] != UInt8(ascii: "q") {
            result.parameters.append(Character(Unicode.Scalar(bytes[position])))
            position += 1
        }
        position += 1
        let end = bytes.count - 2
        func number() -> Int {
            var value = 0
            while position < end, let digit = Int(String(Character(Unicode.Scalar(bytes[position])))) {
                value = value * 10 + digit
                position += 1
            }
            return value
        }
        func numbers() -> [Int] {
            var values = [number()]
            while position < end, bytes[position] == UInt8(ascii: ";") { position += 1; values.append(number()) }
            return values
        }
        var palette: [Int: [UInt8]] = [:]
        var colour: [UInt8] = [0, 0, 0]
        var (x, band) = (0, 0)
        func paint(_ sixel: UInt8, count: Int) throws {
            for _ in 0..<count {
                for bit in 0..<6 where sixel & (1 << bit) != 0 {
                    let y = band * 6 + bit
                    guard x < result.width, y < result.height else { throw SixelSyntaxError.unexpected("pixel \(x),\(y) outside the raster") }
                    result.pixels.replaceSubrange(((y * result.width + x) * 3)..<((y * result.width + x) * 3 + 3), with: colour)
                }
                x += 1
            }
        }
        while position < end {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                let raster = numbers()
                guard raster.count == 4, raster[0] == 1, raster[1] == 1 else { throw SixelSyntaxError.unexpected("raster \(raster)") }
                (result.width, result.height) = (raster[2], raster[3])
                result.pixels = [UInt8](repeating: 0, count: result.width * result.height * 3)
            case UInt8(ascii: "#"):
                let values = numbers()
                if values.count == 5 {
                    guard values[1] == 2 else { throw SixelSyntaxError.unexpected("colour space \(values[1])") }
                    palette[values[0]] = values[2...].map { UInt8(($0 * 255 + 50) / 100) }
                }
                guard let selected = palette[values[0]] else { throw SixelSyntaxError.unexpected("colour \(values[0]) used before defined") }
                colour = selected
            case UInt8(ascii: "!"):
                let count = number()
                guard position < end else { throw SixelSyntaxError.unexpected("repeat at the end") }
                try paint(bytes[position] - 63, count: count)
                position += 1
            case UInt8(ascii: "$"): x = 0
            case UInt8(ascii: "-"): (x, band) = (0, band + 1)
            case 63...126: try paint(byte - 63, count: 1)
            default: throw SixelSyntaxError.unexpected("byte \(byte)")
            }
        }
        return result
    }

    func thumbnail(_ name: String) throws -> RGBImage {
        try ImageDecoder.thumbnail(fileAt: Fixtures.photos.appendingPathComponent(name), maximumWidth: 160, maximumHeight: 160)
    }

    func testRoundTripMatchesTheThumbnailWithinQuantisation() throws {
        // rocket-camera.jpg is DCT-scaled then resized; coffee-rgb.png's 107 rows end in a partial band.
        for name in ["rocket-camera.jpg", "coffee-rgb.png", "camera-gray.png"] {
            let image = try thumbnail(name)
            let decoded = try Self.decodeSixel(SixelEncoder.encode(image))
            XCTAssertEqual([decoded.width, decoded.height], [image.width, image.height], name)
            var worst = 0, total = 0
            for (a, b) in zip(decoded.pixels, image.pixels) {
                worst = max(worst, abs(Int(a) - Int(b)))
                total += abs(Int(a) - Int(b))
            }
            // Six levels, 51 apart: nearest-level rounding is off by at most 25 per channel.
            XCTAssertLessThanOrEqual(worst, 25, name)
            XCTAssertLessThan(Double(total) / Double(image.pixels.count), 14, name)
            XCTAssertEqual(decoded.pixels, SixelEncoder.quantize(image).pixels, "\(name): every pixel painted once, in its cube colour")
        }
    }

    func testFramingAndRunLengths() throws {
        let image = try thumbnail("coffee-rgb.png")
        let text = SixelEncoder.encode(image)
        XCTAssertTrue(text.hasPrefix("\u{1B}P0;1;0q\"1;1;\(image.width);\(image.height)#"), String(text.prefix(30)))
        XCTAssertTrue(text.hasSuffix("\u{1B}\\"))
        XCTAssertEqual(text.filter { $0 == "\u{1B}" }.count, 2, "only the DCS introducer and ST")
        XCTAssertEqual(text.filter { $0 == "-" }.count, (image.height + 5) / 6 - 1, "one line feed between bands")
        XCTAssertTrue(text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F || $0 == "\u{1B}" })

        // A flat image is one run per band.
        let flat = try XCTUnwrap(RGBImage(width: 40, height: 7, pixels: [UInt8](repeating: 0, count: 40 * 7 * 3).enumerated().map { $0.offset % 3 == 0 ? 200 : 30 }))
        let flatText = SixelEncoder.encode(flat)
        XCTAssertEqual(flatText, "\u{1B}P0;1;0q\"1;1;40;7#151;2;80;20;20#151!40~-#151!40@\u{1B}\\")
        XCTAssertEqual(try Self.decodeSixel(flatText).pixels, SixelEncoder.quantize(flat).pixels)
    }
}
