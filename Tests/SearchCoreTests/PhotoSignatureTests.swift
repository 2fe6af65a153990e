import Foundation
import ImageCodecs
import XCTest

@testable import SearchCore

/// The pixel check of `duplicates` on a generated set: eight distinct photos of
/// Tests/Fixtures/photos, each with copies that must group and other shots that must not.
final class PhotoSignatureTests: XCTestCase {
    static let bases = ["rocket-camera.jpg", "astronaut-progressive.jpg", "camera-gray.jpg", "chelsea-cmyk.jpg",
                        "coffee-rgb.png", "hubble-tiny.jpg", "logo-palette4bit.png", "motorcycle-exif2.jpg"]

    struct Item {
        let name: String
        /// Items with the same label are the same photo.
        let label: String
        let image: RGBImage
    }

    static func crop(_ image: RGBImage, left: Double, top: Double, right: Double, bottom: Double) -> RGBImage {
        let x0 = Int((Double(image.width) * left).rounded()), x1 = image.width - Int((Double(image.width) * right).rounded())
        let y0 = Int((Double(image.height) * top).rounded()), y1 = image.height - Int((Double(image.height) * bottom).rounded())
        var pixels: [UInt8] = []
        for row in y0..<y1 { pixels += image.pixels[((row * image.width + x0) * 3)..<((row * image.width + x1) * 3)] }
        return RGBImage(width: x1 - x0, height: y1 - y0, pixels: pixels)!
    }

    static func scaled(_ image: RGBImage, _ factor: Double) -> RGBImage {
        Resampler.resize(image, width: max(1, Int(Double(image.width) * factor)), height: max(1, Int(Double(image.height) * factor)))
    }

    /// Brightness and contrast change plus seeded noise: a re-edited, recompressed copy.
    static func edited(_ image: RGBImage, seed: UInt64) -> RGBImage {
        var state = seed
        let pixels = image.pixels.map { value -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let noise = Double(Int(state >> 59)) - 15.5  // ±15.5
            return UInt8(clamping: Int((Double(value) * 0.85 + 20 + noise * 0.6).rounded()))
        }
        return RGBImage(width: image.width, height: image.height, pixels: pixels)!
    }

    static func generatedSet() throws -> [Item] {
        var items: [Item] = []
        for (index, name) in bases.enumerated() {
            let original = try ImageDecoder.decode(fileAt: SearchFixtures.photos.appendingPathComponent(name))
            let shotA = crop(original, left: 0, top: 0, right: 0.38, bottom: 0)
            items += [
                Item(name: "\(name) original", label: name, image: original),
                Item(name: "\(name) half size", label: name, image: scaled(original, 0.5)),
                Item(name: "\(name) 73%", label: name, image: scaled(original, 0.73)),
                Item(name: "\(name) crop 4%", label: name, image: crop(original, left: 0.04, top: 0.04, right: 0.04, bottom: 0.04)),
                Item(name: "\(name) uneven crop", label: name, image: crop(original, left: 0.1, top: 0, right: 0.02, bottom: 0.06)),
                Item(name: "\(name) edited", label: name, image: edited(original, seed: UInt64(index + 1))),
                // Other shots of the scene: a much tighter framing, and two views shifted sideways.
                Item(name: "\(name) zoom", label: name + " zoom", image: crop(original, left: 0.22, top: 0.22, right: 0.22, bottom: 0.22)),
                Item(name: "\(name) left view", label: name + " left", image: shotA),
                Item(name: "\(name) left view 80%", label: name + " left", image: scaled(shotA, 0.8)),
                Item(name: "\(name) right view", label: name + " right", image: crop(original, left: 0.38, top: 0, right: 0, bottom: 0)),
            ]
        }
        return items
    }

    /// Every pair is scored (as when the model proposes every pair, the worst case), then grouped
    /// as `duplicates` does; pairwise precision and recall of both are in README's duplicates section.
    func testCopiesMatchAndOtherShotsDoNot() throws {
        let items = try Self.generatedSet()
        var verifier = PixelVerifier(signatures: items.map { PhotoSignature(image: $0.image) })
        var truePairs = 0, predictedPairs = 0, correctPairs = 0
        var lowestSame: (Float, String) = (2, ""), highestDifferent: (Float, String) = (-2, "")
        for a in items.indices {
            for b in items.indices where b > a {
                let score = try XCTUnwrap(verifier.similarity(a, b))
                let same = items[a].label == items[b].label
                let pair = "\(items[a].name) ~ \(items[b].name)"
                if same {
                    truePairs += 1
                    if score < lowestSame.0 { lowestSame = (score, pair) }
                } else if score > highestDifferent.0 {
                    highestDifferent = (score, pair)
                }
                if same != (score >= PhotoSignature.sameThreshold) { print("wrong: \(pair) \(score)") }
                if score >= PhotoSignature.sameThreshold { predictedPairs += 1; if same { correctPairs += 1 } }
            }
        }
        print("pixel check on \(items.count) generated photos: lowest same-photo score \(lowestSame), highest other-shot score \(highestDifferent)")
        print("pixel check pairs: \(truePairs) true, \(predictedPairs) predicted, \(correctPairs) correct")

        let groups = verifier.confirmedGroups(rows: Array(items.indices), cosine: { _, _ in 1 }, threshold: 0.5)
        var predicted = 0, correct = 0
        for group in groups {
            for (index, a) in group.enumerated() {
                for b in group[(index + 1)...] {
                    predicted += 1
                    if items[a].label == items[b].label { correct += 1 }
                }
            }
        }
        let precision = Double(correct) / Double(max(1, predicted)), recall = Double(correct) / Double(truePairs)
        print("grouping: \(groups.count) groups, pairwise precision \(precision), recall \(recall)")
        XCTAssertEqual(correctPairs, truePairs, "every copy matches: lowest \(lowestSame)")
        XCTAssertEqual(predictedPairs, correctPairs, "no other shot matches: highest \(highestDifferent)")
        XCTAssertEqual(precision, 1)
        XCTAssertEqual(recall, 1)
    }
}
