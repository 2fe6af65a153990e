import Foundation

extension ImageDecoder {
    /// A preview-sized copy: DCT-scaled decoding when the file is a large JPEG, then a bicubic
    /// reduction to fit within `maximumWidth` × `maximumHeight` (never enlarged).
    public static func thumbnail(fileAt url: URL, maximumWidth: Int, maximumHeight: Int) throws -> RGBImage {
        let image = try decode(fileAt: url, minimumShortSide: max(1, min(maximumWidth, maximumHeight)))
        let scale = min(1, Double(maximumWidth) / Double(max(1, image.width)), Double(maximumHeight) / Double(max(1, image.height)))
        guard scale < 1 else { return image }
        let width = max(1, Int((Double(image.width) * scale).rounded()))
        let height = max(1, Int((Double(image.height) * scale).rounded()))
        return Resampler.resize(image, width: width, height: height, filter: .bicubic)
    }
}
