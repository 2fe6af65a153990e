import Foundation
import XCTest

@testable import ImageCodecs

final class ResizeParityTests: XCTestCase {
    func testBicubicResizeMatchesPillowExactly() throws {
        let index = try Fixtures.index()
        XCTAssertGreaterThanOrEqual(index.resize.count, 3)
        for entry in index.resize {
            let source = try ImageDecoder.decode(fileAt: Fixtures.photos.appendingPathComponent(entry.photo))
            let expected = try ImageDecoder.decode(fileAt: Fixtures.reference.appendingPathComponent(entry.png))
            let resized = Resampler.resize(source, width: entry.width, height: entry.height, filter: .bicubic)
            XCTAssertEqual(resized.width, entry.width)
            XCTAssertEqual(resized.height, entry.height)
            let difference = byteDifference(resized.pixels, expected.pixels)
            XCTAssertEqual(difference.count, 0,
                           "\(entry.png): max |diff| \(difference.maximum) on \(difference.count) bytes")
        }
    }

    func testSameSizeIsIdentityAndEmptyTargetIsEmpty() throws {
        let image = try ImageDecoder.decode(fileAt: Fixtures.photos.appendingPathComponent("hubble-tiny.jpg"))
        XCTAssertEqual(Resampler.resize(image, width: image.width, height: image.height), image)
        XCTAssertEqual(Resampler.resize(image, width: 0, height: 5).pixels.count, 0)
    }
}

final class CLIPPreprocessorTests: XCTestCase {
    func testPixelValuesMatchTransformers() throws {
        let index = try Fixtures.index()
        XCTAssertGreaterThanOrEqual(index.clip.count, 10)
        for entry in index.clip {
            let preprocessor = try CLIPImagePreprocessor(
                preprocessorConfig: Fixtures.reference.appendingPathComponent(entry.config))
            let image = try ImageDecoder.decode(fileAt: Fixtures.photos.appendingPathComponent(entry.photo))
            let values = preprocessor.pixelValues(for: image)
            let expected = try Fixtures.floats(entry.bin)
            XCTAssertEqual(entry.shape, [3, preprocessor.cropHeight, preprocessor.cropWidth])
            XCTAssertEqual(values.count, expected.count, entry.bin)
            guard values.count == expected.count else { continue }
            var maximum: Float = 0
            for (value, reference) in zip(values, expected) { maximum = max(maximum, abs(value - reference)) }
            XCTAssertLessThanOrEqual(maximum, 1e-6, "\(entry.bin): max |diff| \(maximum)")
        }
    }

    func testConfigurationParsing() throws {
        let config = """
        {"size": {"shortest_edge": 48}, "crop_size": {"height": 40, "width": 48},
         "image_mean": [0.5, 0.4, 0.3], "image_std": [0.2, 0.25, 0.3], "resample": 3,
         "do_center_crop": false}
        """
        let preprocessor = try CLIPImagePreprocessor(preprocessorConfigData: Data(config.utf8), name: "config.json")
        XCTAssertEqual(preprocessor.shortestEdge, 48)
        XCTAssertEqual(preprocessor.cropHeight, 40)
        XCTAssertEqual(preprocessor.cropWidth, 48)
        XCTAssertEqual(preprocessor.mean, [0.5, 0.4, 0.3])
        XCTAssertFalse(preprocessor.doCenterCrop)
        XCTAssertEqual(preprocessor.outputSize(width: 300, height: 200).width, 72)

        let integers = try CLIPImagePreprocessor(
            preprocessorConfigData: Data(#"{"size": 224, "crop_size": 224}"#.utf8), name: "c.json")
        XCTAssertEqual(integers.shortestEdge, 224)
        XCTAssertEqual(integers.cropWidth, 224)
        XCTAssertEqual(integers.rescaleFactor, 1.0 / 255.0)
    }

    func testBadConfigurationsAreRefused() {
        let cases = [
            #"{"resample": 2}"#,
            #"[1, 2]"#,
            #"{"size": {"height": 10}}"#,  // {height, width} is Chinese-CLIP's fixed-size resize; a lone height is not
            #"{"image_mean": [0.5, 0.5]}"#,
            #"{"crop_size": -4}"#,
        ]
        for text in cases {
            XCTAssertThrowsError(
                try CLIPImagePreprocessor(preprocessorConfigData: Data(text.utf8), name: "bad.json"), text
            ) { error in
                guard case ImageCodecError.invalidConfiguration(let name, _) = error else {
                    return XCTFail("\(text): unexpected \(error)")
                }
                XCTAssertEqual(name, "bad.json")
                XCTAssertTrue("\(error)".hasPrefix("bad.json: "))
            }
        }
    }

    func testResizeOutputSizeFollowsTransformers() {
        let preprocessor = CLIPImagePreprocessor(shortestEdge: 224)
        // int(224 * 4000 / 3000) = 298, int(224 * 427 / 640) is not used: short side is the height
        XCTAssertTrue(preprocessor.resizedSize(width: 4000, height: 3000) == (298, 224))
        XCTAssertTrue(preprocessor.resizedSize(width: 427, height: 640) == (224, 335))
        XCTAssertTrue(preprocessor.resizedSize(width: 10, height: 10) == (224, 224))
    }
}
