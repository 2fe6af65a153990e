import Foundation

/// Minimal PNG encoder: 8-bit RGB, no filtering, deflate "stored" blocks. No compression library is
/// needed and the output is byte-for-byte deterministic; files are larger than a compressing encoder's,
/// which is acceptable for thumbnails and small generated images.
public enum PNGEncoder {
    public static func encode(_ image: RGBImage) -> Data {
        var raw = Data(capacity: (image.width * 3 + 1) * image.height)
        image.pixels.withUnsafeBufferPointer { pixels in
            for row in 0..<image.height {
                raw.append(0)  // filter type: none
                raw.append(contentsOf: pixels[(row * image.width * 3)..<((row + 1) * image.width * 3)])
            }
        }
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = Data()
        header.appendBigEndianWord(UInt32(image.width))
        header.appendBigEndianWord(UInt32(image.height))
        header.append(contentsOf: [8, 2, 0, 0, 0])  // depth 8, RGB, deflate, no filter, no interlace
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", zlibStored(raw), to: &png)
        appendChunk("IEND", Data(), to: &png)
        return png
    }

    static func zlibStored(_ data: Data) -> Data {
        var output = Data([0x78, 0x01])
        let bytes = [UInt8](data)
        var offset = 0
        repeat {
            let length = min(65535, bytes.count - offset)
            let final: UInt8 = offset + length >= bytes.count ? 1 : 0
            output.append(final)
            output.append(UInt8(length & 0xFF))
            output.append(UInt8(length >> 8))
            output.append(UInt8(~length & 0xFF))
            output.append(UInt8((~length >> 8) & 0xFF))
            output.append(contentsOf: bytes[offset..<(offset + length)])
            offset += length
        } while offset < bytes.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        output.appendBigEndianWord((b << 16) | a)
        return output
    }

    static func appendChunk(_ type: String, _ body: Data, to png: inout Data) {
        png.appendBigEndianWord(UInt32(body.count))
        let typed = Data(type.utf8) + body
        png.append(typed)
        png.appendBigEndianWord(crc32(typed))
    }

    static let crcTable: [UInt32] = (0..<256).map { value in
        var crc = UInt32(value)
        for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        return crc
    }

    static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

extension Data {
    fileprivate mutating func appendBigEndianWord(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }
}
