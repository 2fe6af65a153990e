import Foundation

extension ImageDecoder {
    /// The largest libjpeg DCT scale (1/8, 1/4, 1/2) whose output keeps the short side at or above
    /// `minimumShortSide`, so a later resize still only shrinks; 1 when none does.
    public static func jpegScaleDenominator(width: Int, height: Int, minimumShortSide: Int) -> Int {
        let shortSide = min(width, height)
        for denominator in [8, 4, 2] where (shortSide + denominator - 1) / denominator >= minimumShortSide {
            return denominator
        }
        return 1
    }

    /// Decodes for a model input whose resize target is `minimumShortSide`: JPEGs much larger than
    /// that are DCT-scaled while decoding (several times faster on camera photos; no longer
    /// Pillow-exact, embeddings stay within cosine 0.995 of the exact path), other files as `decode`.
    public static func decode(data: Data, name: String, limits: DecodeLimits = .default, minimumShortSide: Int) throws -> RGBImage {
        guard ImageFormat.sniff(data.prefix(12)) == .jpeg else { return try decode(data: data, name: name, limits: limits) }
        let info = try readInfo(data: data, name: name, limits: limits)
        let denominator = jpegScaleDenominator(width: info.storedWidth, height: info.storedHeight, minimumShortSide: minimumShortSide)
        return try decode(data: data, name: name, limits: limits, jpegScaleDenominator: denominator)
    }

    public static func decode(fileAt url: URL, limits: DecodeLimits = .default, minimumShortSide: Int) throws -> RGBImage {
        let data: Data
        do { data = try Data(contentsOf: url, options: [.mappedIfSafe]) } catch {
            throw ImageCodecError.unreadable(name: url.path, reason: error.localizedDescription)
        }
        return try decode(data: data, name: url.path, limits: limits, minimumShortSide: minimumShortSide)
    }
}
