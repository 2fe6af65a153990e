import CImageCodecs
import Foundation

/// Decodes image files into RGB exactly as
/// `PIL.ImageOps.exif_transpose(Image.open(path)).convert("RGB")` does (Pillow 13.0, verified
/// byte for byte on the fixture photos). Limits of that parity: only the first frame of an
/// animated GIF or WebP is read, TIFF goes through libtiff's RGBA interface (with our own put
/// routines for 8-bit RGB with alpha, where libtiff and Pillow disagree), BMP through stb_image.
/// HEIC and AVIF go through Debian's libheif (see `HEIFSupport`), matching pillow-heif within
/// rounding, not byte for byte.
public enum ImageDecoder {
    /// `jpegScaleDenominator` (1, 2, 4 or 8) asks libjpeg for a DCT-scaled decode of JPEG files,
    /// much faster for thumbnails; any value other than 1 is no longer Pillow-exact.
    public static func decode(fileAt url: URL, limits: DecodeLimits = .default,
                              jpegScaleDenominator: Int = 1) throws -> RGBImage {
        try decode(data: readFile(url), name: url.path, limits: limits, jpegScaleDenominator: jpegScaleDenominator)
    }

    public static func decode(data: Data, name: String, limits: DecodeLimits = .default,
                              jpegScaleDenominator: Int = 1) throws -> RGBImage {
        let format = try sniff(data, name: name)
        let raw = try runDecoder(format, data: data, name: name, limits: limits, headerOnly: false,
                                 jpegScaleDenominator: Int32(clamping: jpegScaleDenominator))
        let upright = try convertToRGB(raw, name: name)
        return ExifOrientation.apply(orientationOf(raw, format: format, data: data), to: upright)
    }

    public static func readInfo(fileAt url: URL, limits: DecodeLimits = .default) throws -> ImageInfo {
        try readInfo(data: readFile(url), name: url.path, limits: limits)
    }

    public static func readInfo(data: Data, name: String, limits: DecodeLimits = .default) throws -> ImageInfo {
        let format = try sniff(data, name: name)
        let raw = try runDecoder(format, data: data, name: name, limits: limits, headerOnly: true)
        return ImageInfo(format: format, storedWidth: raw.width, storedHeight: raw.height,
                         orientation: orientationOf(raw, format: format, data: data))
    }

    // MARK: - Steps

    private static func readFile(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url, options: [.mappedIfSafe])
        } catch {
            throw ImageCodecError.unreadable(name: url.path, reason: error.localizedDescription)
        }
    }

    private static func sniff(_ data: Data, name: String) throws -> ImageFormat {
        if data.isEmpty { throw ImageCodecError.empty(name: name) }
        guard let format = ImageFormat.sniff(data) else {
            let head = data.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw ImageCodecError.unsupportedFormat(
                name: name, reason: "content starts with \(head), not JPEG, PNG, GIF, WebP, BMP, TIFF, HEIC or AVIF")
        }
        return format
    }

    /// Pixels as the C decoder produced them, copied out of C memory.
    struct RawImage {
        var width: Int
        var height: Int
        var layout: Int32
        var pixels: [UInt8]
        var exif: [UInt8]
        var tiffOrientation: Int
    }

    static func runDecoder(_ format: ImageFormat, data: Data, name: String, limits: DecodeLimits,
                           headerOnly: Bool, jpegScaleDenominator: Int32 = 1) throws -> RawImage {
        var image = cic_image()
        cic_image_init(&image)
        defer { cic_image_free(&image) }
        let maxPixels = UInt64(max(0, limits.maxPixels))
        let header: Int32 = headerOnly ? 1 : 0
        let status: Int32 = data.withUnsafeBytes { buffer in
            let bytes = buffer.bindMemory(to: UInt8.self).baseAddress
            let count = buffer.count
            switch format {
            case .jpeg: return cic_decode_jpeg(bytes, count, maxPixels, jpegScaleDenominator, header, &image)
            case .png: return cic_decode_png(bytes, count, maxPixels, header, &image)
            case .webp: return cic_decode_webp(bytes, count, maxPixels, header, &image)
            case .gif: return cic_decode_gif(bytes, count, maxPixels, header, &image)
            case .tiff: return cic_decode_tiff(bytes, count, maxPixels, header, &image)
            case .bmp: return cic_decode_bmp(bytes, count, maxPixels, header, &image)
            case .heif, .avif: return cic_decode_heif(bytes, count, maxPixels, header, &image)
            }
        }
        let message = withUnsafeBytes(of: image.message) { buffer in
            String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch Int(status) {
        case Int(CIC_OK.rawValue):
            break
        case Int(CIC_ERROR_TOO_LARGE.rawValue):
            throw ImageCodecError.tooLarge(name: name, width: Int(image.width), height: Int(image.height),
                                           maxPixels: limits.maxPixels)
        case Int(CIC_ERROR_UNSUPPORTED.rawValue):
            throw ImageCodecError.unsupportedFormat(name: name, reason: "\(format.rawValue): \(message)")
        case Int(CIC_ERROR_MEMORY.rawValue):
            throw ImageCodecError.unreadable(name: name, reason: message)
        default:
            throw ImageCodecError.corrupt(name: name, reason: "\(format.rawValue): \(message)")
        }
        let pixels = image.pixels.map { Array(UnsafeBufferPointer(start: $0, count: image.pixels_size)) } ?? []
        let exif = image.exif.map { Array(UnsafeBufferPointer(start: $0, count: image.exif_size)) } ?? []
        return RawImage(width: Int(image.width), height: Int(image.height), layout: image.layout,
                        pixels: pixels, exif: exif, tiffOrientation: Int(image.orientation))
    }

    private static func orientationOf(_ raw: RawImage, format: ImageFormat, data: Data) -> Int {
        switch format {
        case .tiff:
            return raw.tiffOrientation
        case .webp:
            return ExifOrientation.read(fromExif: WebPChunks.exifPayload(in: data) ?? [])
        case .heif, .avif:
            // libheif already applied irot/imir; cameras also leave the original EXIF tag (e.g.
            // 6) in the file, and applying it again would rotate twice (pillow-heif ignores it too).
            return 1
        default:
            return ExifOrientation.read(fromExif: raw.exif)
        }
    }

    /// Pillow's `convert("RGB")` for each source mode: alpha is dropped (not composited),
    /// CMYK uses Pillow's cmyk2rgb, 16-bit gray (mode I;16) is clamped at 255.
    static func convertToRGB(_ raw: RawImage, name: String) throws -> RGBImage {
        let count = raw.width * raw.height
        let bytesPerPixel: Int
        switch raw.layout {
        case Int32(CIC_LAYOUT_GRAY.rawValue): bytesPerPixel = 1
        case Int32(CIC_LAYOUT_GRAY_ALPHA.rawValue), Int32(CIC_LAYOUT_GRAY16.rawValue): bytesPerPixel = 2
        case Int32(CIC_LAYOUT_RGB.rawValue): bytesPerPixel = 3
        case Int32(CIC_LAYOUT_RGBA.rawValue), Int32(CIC_LAYOUT_CMYK.rawValue): bytesPerPixel = 4
        default:
            throw ImageCodecError.unsupportedFormat(name: name, reason: "pixel layout \(raw.layout)")
        }
        guard raw.pixels.count == count * bytesPerPixel else {
            throw ImageCodecError.corrupt(
                name: name, reason: "decoder returned \(raw.pixels.count) bytes for \(raw.width)x\(raw.height)")
        }
        if bytesPerPixel == 3 {
            return RGBImage(uncheckedWidth: raw.width, height: raw.height, pixels: raw.pixels)
        }
        var rgb = [UInt8](repeating: 0, count: count * 3)
        raw.pixels.withUnsafeBufferPointer { source in
            rgb.withUnsafeMutableBufferPointer { target in
                switch raw.layout {
                case Int32(CIC_LAYOUT_GRAY.rawValue):
                    for pixel in 0..<count {
                        let value = source[pixel]
                        target[pixel * 3] = value
                        target[pixel * 3 + 1] = value
                        target[pixel * 3 + 2] = value
                    }
                case Int32(CIC_LAYOUT_GRAY_ALPHA.rawValue):
                    for pixel in 0..<count {
                        let value = source[pixel * 2]
                        target[pixel * 3] = value
                        target[pixel * 3 + 1] = value
                        target[pixel * 3 + 2] = value
                    }
                case Int32(CIC_LAYOUT_GRAY16.rawValue):
                    for pixel in 0..<count {
                        let wide = UInt16(source[pixel * 2]) | UInt16(source[pixel * 2 + 1]) << 8
                        let value = UInt8(min(wide, 255))
                        target[pixel * 3] = value
                        target[pixel * 3 + 1] = value
                        target[pixel * 3 + 2] = value
                    }
                case Int32(CIC_LAYOUT_RGBA.rawValue):
                    for pixel in 0..<count {
                        target[pixel * 3] = source[pixel * 4]
                        target[pixel * 3 + 1] = source[pixel * 4 + 1]
                        target[pixel * 3 + 2] = source[pixel * 4 + 2]
                    }
                default:
                    // Pillow reads every 4-component JPEG as "CMYK;I" (Adobe convention):
                    // the stored samples are inverted before cmyk2rgb.
                    for pixel in 0..<count {
                        // nk = 255 - K where K = 255 - stored byte, so nk is the stored byte.
                        let notBlack = Int(source[pixel * 4 + 3])
                        for channel in 0..<3 {
                            let ink = 255 - Int(source[pixel * 4 + channel])
                            let scaled = ink * notBlack + 128
                            let product = ((scaled >> 8) + scaled) >> 8  // Pillow's MULDIV255
                            target[pixel * 3 + channel] = UInt8(clamping: notBlack - product)
                        }
                    }
                }
            }
        }
        return RGBImage(uncheckedWidth: raw.width, height: raw.height, pixels: rgb)
    }
}
