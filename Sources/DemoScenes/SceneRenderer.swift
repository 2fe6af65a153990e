import CLIPModels
import Foundation
import ImageCodecs

/// Draws a scene: a noisy two-colour gradient background with faint blobs, then the shapes with
/// anti-aliased edges (coverage from a signed distance) and a thin darker outline.
public enum SceneRenderer {
    public static func render(_ scene: SceneDescription, size: Int, seed: UInt64) -> RGBImage {
        var random = SeededGenerator(seed: seed)
        var canvas = Canvas(size: size)
        canvas.paintBackground(random: &random)
        let radius = scene.size.radiusFraction * random.uniform(0.9, 1.1)
        let colour = scene.colour.baseRGB
        let jitter = (random.uniform(-18, 18), random.uniform(-18, 18), random.uniform(-18, 18))
        let fill = (clampByte(colour.0 + jitter.0), clampByte(colour.1 + jitter.1), clampByte(colour.2 + jitter.2))
        for centre in centres(of: scene, radius: radius, random: &random) {
            let rotation = scene.shape == .circle ? 0 : random.uniform(-0.3, 0.3)
            let outline = ShapeOutline(kind: scene.shape, centre: centre, radius: radius, rotation: rotation)
            canvas.draw(outline, fill: fill)
        }
        canvas.addNoise(amplitude: random.uniform(4, 14), random: &random)
        return canvas.image
    }

    /// Shape centres in unit coordinates: along the long axis of a side region, on a small ring in the centre.
    static func centres(of scene: SceneDescription, radius: Double, random: inout SeededGenerator) -> [(Double, Double)] {
        let (x0, y0, x1, y1) = scene.position.region
        let count = scene.count
        if scene.position == .centre {
            let ring = count == 1 ? 0 : radius * (count == 2 ? 1.15 : 1.3)
            let phase = random.uniform(0, 2 * Double.pi)
            let middle = ((x0 + x1) / 2 + random.uniform(-0.03, 0.03), (y0 + y1) / 2 + random.uniform(-0.03, 0.03))
            return (0..<count).map { index in
                let angle = phase + 2 * Double.pi * Double(index) / Double(count)
                return (middle.0 + ring * cos(angle), middle.1 + ring * sin(angle))
            }
        }
        let vertical = y1 - y0 > x1 - x0
        let (alongLow, alongHigh) = vertical ? (y0, y1) : (x0, x1)
        let (acrossLow, acrossHigh) = vertical ? (x0, x1) : (y0, y1)
        let margin = radius * 1.05
        let start = alongLow + margin, end = alongHigh - margin
        // One shared offset across the axis keeps them in a row; each jitters a little on its own.
        let across = random.uniform(acrossLow + margin + 0.03, acrossHigh - margin - 0.03)
        var slots: [Double]
        if count == 1 {
            slots = [random.uniform(start, end)]
        } else {
            let spread = random.uniform(0.75, 1.0)
            let middle = (start + end) / 2
            slots = (0..<count).map { middle + (Double($0) / Double(count - 1) - 0.5) * (end - start) * spread }
        }
        return slots.map { along in
            let wobble = random.uniform(-0.025, 0.025)
            return vertical ? (across + wobble, along) : (along, across + wobble)
        }
    }

    static func clampByte(_ value: Double) -> Double { min(255, max(0, value)) }
}

extension SeededGenerator {
    /// Uniform in [low, high).
    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(next() >> 11) * 0x1.0p-53
    }
}

/// Float RGB pixels being painted, turned into 8-bit at the end.
struct Canvas {
    let size: Int
    var red: [Double], green: [Double], blue: [Double]

    init(size: Int) {
        self.size = size
        red = [Double](repeating: 0, count: size * size)
        green = red
        blue = red
    }

    mutating func paintBackground(random: inout SeededGenerator) {
        // Muted colours, light or dark, so every shape colour stands out from some backgrounds and not others.
        let light = random.next() & 1 == 0
        let level = light ? random.uniform(150, 235) : random.uniform(25, 95)
        let first = (level + random.uniform(-25, 25), level + random.uniform(-25, 25), level + random.uniform(-25, 25))
        let shift = random.uniform(-45, 45)
        let second = (first.0 + shift + random.uniform(-15, 15), first.1 + shift + random.uniform(-15, 15), first.2 + shift + random.uniform(-15, 15))
        let angle = random.uniform(0, 2 * Double.pi)
        let (dx, dy) = (cos(angle), sin(angle))
        for y in 0..<size {
            for x in 0..<size {
                let u = (Double(x) + 0.5) / Double(size) - 0.5, v = (Double(y) + 0.5) / Double(size) - 0.5
                let t = min(1, max(0, (u * dx + v * dy) + 0.5))
                let index = y * size + x
                red[index] = first.0 + (second.0 - first.0) * t
                green[index] = first.1 + (second.1 - first.1) * t
                blue[index] = first.2 + (second.2 - first.2) * t
            }
        }
        // Faint translucent blobs break up the gradient (clutter, not objects).
        for _ in 0..<Int(random.next() % 4) {
            let centre = (random.uniform(0, 1), random.uniform(0, 1))
            let blob = ShapeOutline(kind: .circle, centre: centre, radius: random.uniform(0.1, 0.35), rotation: 0)
            let tone = level + random.uniform(-30, 30)
            blend(blob, colour: (tone, tone + random.uniform(-10, 10), tone + random.uniform(-10, 10)), opacity: random.uniform(0.08, 0.2))
        }
    }

    /// Filled shape with a darker outline about one pixel wide (more at larger sizes).
    mutating func draw(_ shape: ShapeOutline, fill: (Double, Double, Double)) {
        let outlineWidth = max(1.0, Double(size) / 96)
        let dark = (fill.0 * 0.55, fill.1 * 0.55, fill.2 * 0.55)
        for (index, distance) in nearbyPixels(shape) {
            let coverage = min(1, max(0, 0.5 - distance))
            guard coverage > 0 else { continue }
            let inner = min(1, max(0, 0.5 - (distance + outlineWidth)))
            let colour = (dark.0 + (fill.0 - dark.0) * inner, dark.1 + (fill.1 - dark.1) * inner, dark.2 + (fill.2 - dark.2) * inner)
            red[index] += (colour.0 - red[index]) * coverage
            green[index] += (colour.1 - green[index]) * coverage
            blue[index] += (colour.2 - blue[index]) * coverage
        }
    }

    mutating func blend(_ shape: ShapeOutline, colour: (Double, Double, Double), opacity: Double) {
        for (index, distance) in nearbyPixels(shape) {
            let coverage = min(1, max(0, 0.5 - distance)) * opacity
            red[index] += (colour.0 - red[index]) * coverage
            green[index] += (colour.1 - green[index]) * coverage
            blue[index] += (colour.2 - blue[index]) * coverage
        }
    }

    /// Each pixel index near the shape with its signed distance in pixels (negative inside).
    private func nearbyPixels(_ shape: ShapeOutline) -> [(index: Int, distance: Double)] {
        let scale = Double(size)
        let reach = shape.radius * 1.1 + 2 / scale
        let lowX = max(0, Int(((shape.centre.0 - reach) * scale).rounded(.down)))
        let highX = min(size - 1, Int(((shape.centre.0 + reach) * scale).rounded(.up)))
        let lowY = max(0, Int(((shape.centre.1 - reach) * scale).rounded(.down)))
        let highY = min(size - 1, Int(((shape.centre.1 + reach) * scale).rounded(.up)))
        guard lowX <= highX, lowY <= highY else { return [] }
        var pixels: [(index: Int, distance: Double)] = []
        for y in lowY...highY {
            for x in lowX...highX {
                let point = ((Double(x) + 0.5) / scale, (Double(y) + 0.5) / scale)
                pixels.append((y * size + x, shape.signedDistance(to: point) * scale))
            }
        }
        return pixels
    }

    mutating func addNoise(amplitude: Double, random: inout SeededGenerator) {
        for index in 0..<(size * size) {
            red[index] += random.uniform(-amplitude, amplitude)
            green[index] += random.uniform(-amplitude, amplitude)
            blue[index] += random.uniform(-amplitude, amplitude)
        }
    }

    var image: RGBImage {
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for index in 0..<(size * size) {
            pixels[3 * index] = UInt8(SceneRenderer.clampByte(red[index]).rounded())
            pixels[3 * index + 1] = UInt8(SceneRenderer.clampByte(green[index]).rounded())
            pixels[3 * index + 2] = UInt8(SceneRenderer.clampByte(blue[index]).rounded())
        }
        // The pixel count matches the size by construction.
        return RGBImage(width: size, height: size, pixels: pixels)!
    }
}
