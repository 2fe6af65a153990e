@testable import DemoScenes
import ImageCodecs
import XCTest

final class SceneRendererTests: XCTestCase {
    let scene = SceneDescription(shape: .star, colour: .blue, size: .large, position: .left, count: 2)

    func testRenderingIsDeterministicPerSeedAndDiffersAcrossSeeds() {
        let first = SceneRenderer.render(scene, size: 64, seed: 7)
        XCTAssertEqual(first, SceneRenderer.render(scene, size: 64, seed: 7))
        let other = SceneRenderer.render(scene, size: 64, seed: 8)
        XCTAssertEqual(other.width, 64)
        let differing = zip(first.pixels, other.pixels).filter { $0 != $1 }.count
        XCTAssertGreaterThan(differing, first.pixels.count / 4, "another seed should change background, noise and placement")
    }

    func testShapesLandInTheirRegionWithTheirColour() {
        // Pixels close to the scene colour (saturated, unlike the muted backgrounds) must sit in the named half.
        for position in [ScenePosition.left, .right, .top, .bottom] {
            let red = SceneDescription(shape: .square, colour: .red, size: .large, position: position, count: 1)
            let image = SceneRenderer.render(red, size: 96, seed: 3)
            var sumX = 0.0, sumY = 0.0, hits = 0.0
            for y in 0..<96 {
                for x in 0..<96 {
                    let index = (y * 96 + x) * 3
                    let (r, g, b) = (Int(image.pixels[index]), Int(image.pixels[index + 1]), Int(image.pixels[index + 2]))
                    if r > 150, g < 100, b < 100 { sumX += Double(x); sumY += Double(y); hits += 1 }
                }
            }
            XCTAssertGreaterThan(hits, 150, "\(position): a large red square covers many red pixels")
            let (meanX, meanY) = (sumX / hits / 96, sumY / hits / 96)
            switch position {
            case .left: XCTAssertLessThan(meanX, 0.5)
            case .right: XCTAssertGreaterThan(meanX, 0.5)
            case .top: XCTAssertLessThan(meanY, 0.5)
            case .bottom: XCTAssertGreaterThan(meanY, 0.5)
            case .centre: break
            }
        }
    }

    func testEdgesAreAntiAliased() {
        // On a black canvas without noise, edge pixels are partly covered: values between the fill and black,
        // about one ring of them around the circle; a hard-edged (aliased) fill would have none.
        var canvas = Canvas(size: 64)
        canvas.draw(ShapeOutline(kind: .circle, centre: (0.5, 0.5), radius: 0.3, rotation: 0), fill: (250, 0, 0))
        let reds = stride(from: 0, to: canvas.image.pixels.count, by: 3).map { canvas.image.pixels[$0] }
        let partial = reds.filter { $0 > 5 && $0 < 130 }.count
        let perimeter = 2 * Double.pi * 0.3 * 0.92 * 64
        XCTAssertGreaterThan(Double(partial), perimeter * 0.5)
        XCTAssertLessThan(Double(partial), perimeter * 2.5)
        XCTAssertEqual(reds[32 * 64 + 32], 250, "the centre is fully covered")
    }

    func testWrittenImagesDecodeAsPNG() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("demo-scenes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let samples = try DemoDataset.samples(count: 3, seed: 5, pairings: DemoDataset.allPairings)
        let names = try DemoDataset.writeImages(samples, to: folder, prefix: "scene", size: 48)
        XCTAssertEqual(names, ["scene-0001.png", "scene-0002.png", "scene-0003.png"])
        let decoded = try ImageDecoder.decode(fileAt: folder.appendingPathComponent(names[1]))
        XCTAssertEqual(decoded, samples[1].render(size: 48))
        XCTAssertThrowsError(try DemoDataset.writeImages(samples, to: folder, prefix: "scene", size: 4)) {
            XCTAssertTrue("\($0)".contains("size"))
        }
    }
}
