import CLIPModels
import ImageCodecs
import XCTest
@testable import SearchCore

final class ScaledDecodingTests: XCTestCase {
    func testScaleDenominatorKeepsShortSideAtTarget() {
        XCTAssertEqual(ImageDecoder.jpegScaleDenominator(width: 4032, height: 3024, minimumShortSide: 224), 8)  // 378
        XCTAssertEqual(ImageDecoder.jpegScaleDenominator(width: 1600, height: 1200, minimumShortSide: 224), 4)  // 300; /8 → 150
        XCTAssertEqual(ImageDecoder.jpegScaleDenominator(width: 1792, height: 1792, minimumShortSide: 224), 8)  // exactly 224
        XCTAssertEqual(ImageDecoder.jpegScaleDenominator(width: 1800, height: 1785, minimumShortSide: 224), 8)  // ceil(1785/8) = 224
        XCTAssertEqual(ImageDecoder.jpegScaleDenominator(width: 1800, height: 1783, minimumShortSide: 224), 4)  // ceil(1783/8) = 223
        XCTAssertEqual(ImageDecoder.jpegScaleDenominator(width: 640, height: 427, minimumShortSide: 224), 1)
        XCTAssertEqual(ImageDecoder.jpegScaleDenominator(width: 100, height: 100, minimumShortSide: 224), 1)
    }

    /// On the real photos, the DCT-scaled decode gives embeddings within cosine 0.995 of the exact
    /// (Pillow-identical) path, and every JPEG large enough is really decoded scaled.
    func testScaledDecodingKeepsEmbeddingsOnRealPhotos() throws {
        let model = try SearchFixtures.searchModel()
        let target = model.embedder.preprocessor.shortestEdge
        let names = try FileManager.default.contentsOfDirectory(atPath: SearchFixtures.photos.path).filter { $0.hasSuffix(".jpg") }.sorted()
        var scaled: [String] = []
        for name in names {
            let url = SearchFixtures.photos.appendingPathComponent(name)
            let info = try ImageDecoder.readInfo(fileAt: url)
            if ImageDecoder.jpegScaleDenominator(width: info.storedWidth, height: info.storedHeight, minimumShortSide: target) > 1 {
                scaled.append(url.path)
            }
        }
        XCTAssertGreaterThanOrEqual(scaled.count, 8, "fixture photos exercise scaled decoding: \(scaled)")
        let urls = scaled.map { URL(fileURLWithPath: $0) }
        let fast = model.embedder.embed(imageFiles: urls, decoding: .scaledJPEG)
        let exact = model.embedder.embed(imageFiles: urls, decoding: .exact)
        var worst: Float = 1
        for (path, (a, b)) in zip(scaled, zip(fast, exact)) {
            let x = try a.get(), y = try b.get()
            XCTAssertNotEqual(x, y, "\(path) was decoded at a reduced scale, so the vectors differ")
            let cosine = zip(x, y).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            worst = min(worst, cosine)
            XCTAssertGreaterThanOrEqual(cosine, 0.995, path)
        }
        print("DCT-scaled vs exact decode, \(scaled.count) JPEGs: lowest cosine \(worst)")
    }

    func testBadFilesYieldErrorsNamingTheFile() throws {
        let model = try SearchFixtures.searchModel()
        let bad = SearchFixtures.root.appendingPathComponent("images/bad")
        let paths = ["empty.jpg", "truncated.jpg", "bomb.png", "text.png"].map { bad.appendingPathComponent($0).path }
            + [SearchFixtures.photos.appendingPathComponent("coffee-444.jpg").path, "/nonexistent/x.jpg"]
        let results = model.embedder.embed(imageFiles: paths.map { URL(fileURLWithPath: $0) }, decoding: .scaledJPEG)
        XCTAssertEqual(results.count, paths.count)
        for (index, result) in results.enumerated() {
            if index == 4 {
                XCTAssertEqual(try result.get().count, model.embedder.dimension)
            } else {
                XCTAssertThrowsError(try result.get()) { XCTAssertTrue("\($0)".contains(paths[index]), "\($0)") }
            }
        }
    }
}
