import Foundation

/// An 8-bit RGB image, pixels interleaved row by row (R, G, B, R, G, B, ...).
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    /// Returns nil when the pixel count does not match the size.
    public init?(width: Int, height: Int, pixels: [UInt8]) {
        guard width >= 0, height >= 0, pixels.count == width * height * 3 else { return nil }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    init(uncheckedWidth width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// Container formats recognised from their leading bytes (never from the file name).
public enum ImageFormat: String, Sendable, Equatable, CaseIterable {
    case jpeg, png, gif, webp, bmp, tiff
    /// HEIF containers (ISO/IEC 23008-12): `heif` holds HEVC (HEIC), `avif` AV1.
    case heif, avif

    /// Identifies the format from magic bytes; nil when none matches.
    public static func sniff<Bytes: Collection>(_ bytes: Bytes) -> ImageFormat? where Bytes.Element == UInt8 {
        if let container = sniffHEIF(Array(bytes.prefix(64))) { return container }
        let head = Array(bytes.prefix(12))
        func starts(with signature: [UInt8]) -> Bool {
            head.count >= signature.count && Array(head[0..<signature.count]) == signature
        }
        if starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(with: Array("GIF87a".utf8)) || starts(with: Array("GIF89a".utf8)) { return .gif }
        if head.count >= 12, starts(with: Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) {
            return .webp
        }
        if starts(with: Array("BM".utf8)) { return .bmp }
        if starts(with: [0x49, 0x49, 0x2A, 0x00]) || starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        return nil
    }

    static let avifBrands: Set<String> = ["avif", "avis"]
    static let heicBrands: Set<String> = ["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"]
    /// Brands that only say "a HEIF image" without naming the codec.
    static let genericHEIFBrands: Set<String> = ["mif1", "msf1", "miaf"]

    /// An `ftyp` box first: the major brand, or for a generic major brand (mif1) the compatible
    /// brands that follow it, name the codec.
    static func sniffHEIF(_ head: [UInt8]) -> ImageFormat? {
        guard head.count >= 16, Array(head[4..<8]) == Array("ftyp".utf8) else { return nil }
        let boxSize = Int(head[0]) << 24 | Int(head[1]) << 16 | Int(head[2]) << 8 | Int(head[3])
        func brand(at offset: Int) -> String { String(decoding: head[offset..<(offset + 4)], as: UTF8.self) }
        let major = brand(at: 8)
        let compatible = stride(from: 16, to: min(boxSize, head.count) - 3, by: 4).map(brand(at:))
        for candidate in [major] + compatible {
            if avifBrands.contains(candidate) { return .avif }
            if heicBrands.contains(candidate) { return .heif }
        }
        // A generic HEIF file naming no codec: libheif finds out when it reads the item types.
        return ([major] + compatible).contains(where: genericHEIFBrands.contains) ? .heif : nil
    }
}

/// Guards against decompression bombs: images declaring more pixels are refused before
/// any pixel memory is allocated.
public struct DecodeLimits: Sendable, Equatable {
    public var maxPixels: Int

    public init(maxPixels: Int) {
        self.maxPixels = maxPixels
    }

    /// Pillow's rule: `Image.MAX_IMAGE_PIXELS` is 89,478,485 and images above twice that
    /// raise DecompressionBombError.
    public static let `default` = DecodeLimits(maxPixels: 2 * 89_478_485)
}

/// What a file declares, read without decoding its pixels.
public struct ImageInfo: Sendable, Equatable {
    public let format: ImageFormat
    /// Size as stored in the file.
    public let storedWidth: Int
    public let storedHeight: Int
    /// EXIF (or TIFF) orientation, 1 when absent or not one of 1...8.
    public let orientation: Int

    /// Size after the orientation is applied, i.e. as decode(...) returns it.
    public var width: Int { orientation >= 5 ? storedHeight : storedWidth }
    public var height: Int { orientation >= 5 ? storedWidth : storedHeight }
}
