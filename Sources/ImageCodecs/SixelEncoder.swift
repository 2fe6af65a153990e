import Foundation

/// DEC sixel graphics for terminals such as foot, mlterm, xterm -ti vt340 and WezTerm.
///
/// The image is quantised to the 6×6×6 colour cube (levels 0, 51, …, 255, i.e. exactly 0, 20, …,
/// 100 percent, so palette entries round-trip without loss; each channel is off by at most 25).
/// A fixed palette needs no per-image analysis and keeps the output deterministic.
public enum SixelEncoder {
    /// Levels per channel of the colour cube.
    public static let levels = 6
    static let step = 255 / (levels - 1)

    /// The cube colour each pixel is drawn with: what a sixel decoder shows.
    public static func quantize(_ image: RGBImage) -> RGBImage {
        RGBImage(uncheckedWidth: image.width, height: image.height,
                 pixels: image.pixels.map { UInt8(level(of: $0) * step) })
    }

    static func level(of value: UInt8) -> Int { (Int(value) + step / 2) / step }

    /// The complete escape sequence: DCS `ESC P 0;1;0 q`, raster attributes (1:1 pixels, size),
    /// the used palette entries, six-row bands of run-length encoded sixels, then ST `ESC \`.
    public static func encode(_ image: RGBImage) -> String {
        let width = image.width, height = image.height
        var indices = [Int](repeating: 0, count: width * height)
        var used = [Bool](repeating: false, count: levels * levels * levels)
        for pixel in 0..<(width * height) {
            let index = (level(of: image.pixels[pixel * 3]) * levels + level(of: image.pixels[pixel * 3 + 1])) * levels
                + level(of: image.pixels[pixel * 3 + 2])
            indices[pixel] = index
            used[index] = true
        }
        // P2 = 1: unset positions keep the background (every position is set here anyway).
        var text = "\u{1B}P0;1;0q\"1;1;\(width);\(height)"
        for index in used.indices where used[index] {
            let percent = [index / (levels * levels), index / levels % levels, index % levels].map { $0 * 100 / (levels - 1) }
            text += "#\(index);2;\(percent[0]);\(percent[1]);\(percent[2])"
        }
        var bits = [UInt8](repeating: 0, count: width)
        for bandStart in stride(from: 0, to: height, by: 6) {
            let bandRows = min(6, height - bandStart)
            var colours = Set<Int>()
            for row in 0..<bandRows { colours.formUnion(indices[((bandStart + row) * width)..<((bandStart + row + 1) * width)]) }
            for (order, colour) in colours.sorted().enumerated() {
                for column in 0..<width {
                    var mask: UInt8 = 0
                    for row in 0..<bandRows where indices[(bandStart + row) * width + column] == colour { mask |= 1 << row }
                    bits[column] = mask
                }
                // `$` returns to the band's start so the next colour overprints the same six rows.
                text += (order > 0 ? "$" : "") + "#\(colour)" + runLengthEncoded(bits)
            }
            if bandStart + 6 < height { text += "-" }
        }
        return text + "\u{1B}\\"
    }

    /// Sixel characters (63 + six bits), runs of four or more as `!count char`, trailing empty
    /// columns dropped (the carriage return makes them implicit).
    static func runLengthEncoded(_ masks: [UInt8]) -> String {
        var end = masks.count
        while end > 0 && masks[end - 1] == 0 { end -= 1 }
        var output = ""
        var start = 0
        while start < end {
            var stop = start + 1
            while stop < end && masks[stop] == masks[start] { stop += 1 }
            let character = Character(Unicode.Scalar(63 + masks[start]))
            let run = stop - start
            output += run >= 4 ? "!\(run)\(character)" : String(repeating: character, count: run)
            start = stop
        }
        return output
    }
}
