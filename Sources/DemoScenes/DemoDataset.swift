import CLIPModels
import Foundation
import ImageCodecs

public enum DemoScenesError: Error, CustomStringConvertible, Equatable {
    case invalidArgument(name: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidArgument(let name, let reason): "\(name): \(reason)"
        case .cannotWrite(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}

/// One generated example: what the scene shows, the seed its pixels come from, and its caption styles.
public struct DemoSample: Sendable, Equatable {
    public let scene: SceneDescription
    public let imageSeed: UInt64
    public let englishStyle: CaptionStyle
    public let chineseStyle: CaptionStyle

    public func caption(_ language: CaptionLanguage) -> String {
        CaptionGrammar.caption(for: scene, language: language, style: language == .english ? englishStyle : chineseStyle)
    }

    public func render(size: Int) -> RGBImage {
        SceneRenderer.render(scene, size: size, seed: imageSeed)
    }
}

public enum DemoDataset {
    /// Colour–shape pairings allowed in training: all but the held-out ones.
    public static var trainingPairings: [ColourShape] {
        let heldOut = Set(ColourShape.heldOut)
        return ShapeColour.allCases.flatMap { colour in ShapeKind.allCases.map { ColourShape(colour, $0) } }.filter { !heldOut.contains($0) }
    }

    public static var allPairings: [ColourShape] {
        ShapeColour.allCases.flatMap { colour in ShapeKind.allCases.map { ColourShape(colour, $0) } }
    }

    /// Caption styles with their weights: mostly full descriptions, some partial ones.
    public static let trainingStyles: [(CaptionStyle, Int)] = [
        (.plain, 3), (.photo, 2), (.existential, 2), (.counted, 1), (.colourShape, 1), (.singleWord, 1),
    ]

    /// `count` samples whose pairing is drawn uniformly from `pairings`. Sample `i` depends only on
    /// (`seed`, `i`), so a longer run starts with the same images as a shorter one.
    public static func samples(
        count: Int, seed: UInt64, pairings: [ColourShape], styles: [(CaptionStyle, Int)] = trainingStyles
    ) throws -> [DemoSample] {
        guard count >= 0 else { throw DemoScenesError.invalidArgument(name: "count", reason: "must not be negative, got \(count)") }
        guard !pairings.isEmpty else { throw DemoScenesError.invalidArgument(name: "pairings", reason: "no colour–shape pairing to draw from") }
        let totalWeight = styles.reduce(0) { $0 + $1.1 }
        guard totalWeight > 0, styles.allSatisfy({ $0.1 >= 0 }) else {
            throw DemoScenesError.invalidArgument(name: "styles", reason: "weights must be non-negative with a positive sum")
        }
        func pick(_ random: inout SeededGenerator) -> CaptionStyle {
            var ticket = Int(random.next() % UInt64(totalWeight))
            for (style, weight) in styles {
                if ticket < weight { return style }
                ticket -= weight
            }
            return styles[styles.count - 1].0
        }
        return (0..<count).map { index in
            var random = SeededGenerator(seed: mix(seed, UInt64(index)))
            let pairing = pairings[Int(random.next() % UInt64(pairings.count))]
            let size = ShapeSize.allCases[Int(random.next() % UInt64(ShapeSize.allCases.count))]
            let position = ScenePosition.allCases[Int(random.next() % UInt64(ScenePosition.allCases.count))]
            let count = SceneDescription.counts.lowerBound + Int(random.next() % UInt64(SceneDescription.counts.count))
            let scene = SceneDescription(shape: pairing.shape, colour: pairing.colour, size: size, position: position, count: count)
            return DemoSample(scene: scene, imageSeed: random.next(), englishStyle: pick(&random), chineseStyle: pick(&random))
        }
    }

    /// A well-mixed 64-bit value from two (for independent per-sample and per-stream seeds).
    public static func mix(_ first: UInt64, _ second: UInt64) -> UInt64 {
        var random = SeededGenerator(seed: first ^ (second &* 0xD1B5_4A32_D192_ED03))
        _ = random.next()
        return random.next()
    }

    /// Renders each sample to `<folder>/<prefix>-NNNNN.png` and returns the file names in sample order.
    public static func writeImages(_ samples: [DemoSample], to folder: URL, prefix: String, size: Int) throws -> [String] {
        guard (16...1024).contains(size) else { throw DemoScenesError.invalidArgument(name: "size", reason: "must be 16–1024 pixels, got \(size)") }
        try createFolder(folder)
        let digits = max(4, String(samples.count).count)
        return try samples.enumerated().map { index, sample in
            let name = "\(prefix)-" + String(repeating: "0", count: max(0, digits - String(index + 1).count)) + "\(index + 1).png"
            let url = folder.appendingPathComponent(name)
            do { try PNGEncoder.encode(sample.render(size: size)).write(to: url) } catch {
                throw DemoScenesError.cannotWrite(path: url.path, reason: error.localizedDescription)
            }
            return name
        }
    }

    /// TSV with a header row, `image<TAB>caption`, the form `clip-search train` and `eval` read.
    public static func writePairs(_ rows: [(image: String, caption: String)], to url: URL) throws {
        var text = "image\tcaption\n"
        for row in rows { text += "\(row.image)\t\(row.caption)\n" }
        do { try Data(text.utf8).write(to: url) } catch {
            throw DemoScenesError.cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }

    static func createFolder(_ folder: URL) throws {
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw DemoScenesError.cannotWrite(path: folder.path, reason: error.localizedDescription)
        }
    }
}
