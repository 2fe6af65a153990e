import Foundation

/// EXIF orientation as PIL.ImageOps.exif_transpose reads and applies it.
enum ExifOrientation {
    /// Reads tag 0x0112 from IFD0 of a TIFF-structured EXIF block (optionally prefixed by
    /// "Exif\0\0"). Returns 1 when absent, malformed, or not a single value in 1...8.
    static func read(fromExif bytes: [UInt8]) -> Int {
        var exif = bytes[...]
        if exif.starts(with: Array("Exif\0\0".utf8)) { exif = exif.dropFirst(6) }
        let block = Array(exif)
        guard block.count >= 8 else { return 1 }
        let littleEndian: Bool
        switch (block[0], block[1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return 1
        }
        func unsigned16(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 2 <= block.count else { return nil }
            let first = Int(block[offset]), second = Int(block[offset + 1])
            return littleEndian ? first | second << 8 : first << 8 | second
        }
        func unsigned32(_ offset: Int) -> Int? {
            guard let low = unsigned16(littleEndian ? offset : offset + 2),
                  let high = unsigned16(littleEndian ? offset + 2 : offset) else { return nil }
            return low | high << 16
        }
        guard unsigned16(2) == 42, let directory = unsigned32(4), let entries = unsigned16(directory) else {
            return 1
        }
        for index in 0..<entries {
            let entry = directory + 2 + index * 12
            guard let tag = unsigned16(entry), let type = unsigned16(entry + 2),
                  let count = unsigned32(entry + 4) else { return 1 }
            guard tag == 0x0112 else { continue }
            guard count == 1 else { return 1 }
            let value: Int?
            switch type {
            case 1, 7: value = entry + 8 < block.count ? Int(block[entry + 8]) : nil  // BYTE, UNDEFINED
            case 3: value = unsigned16(entry + 8)  // SHORT
            case 4: value = unsigned32(entry + 8)  // LONG
            default: value = nil
            }
            if let value, (1...8).contains(value) { return value }
            return 1
        }
        return 1
    }

    /// The transpose exif_transpose applies: 2 FLIP_LEFT_RIGHT, 3 ROTATE_180, 4 FLIP_TOP_BOTTOM,
    /// 5 TRANSPOSE, 6 ROTATE_270, 7 TRANSVERSE, 8 ROTATE_90 (Pillow's rotations are counter-clockwise).
    static func apply(_ orientation: Int, to image: RGBImage) -> RGBImage {
        guard (2...8).contains(orientation) else { return image }
        let inWidth = image.width, inHeight = image.height
        let swapsAxes = orientation >= 5
        let outWidth = swapsAxes ? inHeight : inWidth
        let outHeight = swapsAxes ? inWidth : inHeight
        var output = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        let sourceX: Int, sourceY: Int
                        switch orientation {
                        case 2: (sourceX, sourceY) = (inWidth - 1 - x, y)
                        case 3: (sourceX, sourceY) = (inWidth - 1 - x, inHeight - 1 - y)
                        case 4: (sourceX, sourceY) = (x, inHeight - 1 - y)
                        case 5: (sourceX, sourceY) = (y, x)
                        case 6: (sourceX, sourceY) = (y, inHeight - 1 - x)
                        case 7: (sourceX, sourceY) = (inWidth - 1 - y, inHeight - 1 - x)
                        default: (sourceX, sourceY) = (inWidth - 1 - y, x)
                        }
                        let from = (sourceY * inWidth + sourceX) * 3
                        let to = (y * outWidth + x) * 3
                        target[to] = source[from]
                        target[to + 1] = source[from + 1]
                        target[to + 2] = source[from + 2]
                    }
                }
            }
        }
        return RGBImage(uncheckedWidth: outWidth, height: outHeight, pixels: output)
    }
}

/// Walks the RIFF chunks of a WebP file (libwebp's still-image decoder ignores metadata).
enum WebPChunks {
    static func exifPayload(in data: Data) -> [UInt8]? {
        let base = data.startIndex
        func byte(_ offset: Int) -> Int { Int(data[base + offset]) }
        var offset = 12
        while offset + 8 <= data.count {
            let fourCC = [byte(offset), byte(offset + 1), byte(offset + 2), byte(offset + 3)]
            let size = byte(offset + 4) | byte(offset + 5) << 8 | byte(offset + 6) << 16 | byte(offset + 7) << 24
            let start = offset + 8
            guard start + size <= data.count else { return nil }
            if fourCC == [0x45, 0x58, 0x49, 0x46] {  // "EXIF"
                return [UInt8](data[(base + start)..<(base + start + size)])
            }
            offset = start + size + (size & 1)
        }
        return nil
    }
}
