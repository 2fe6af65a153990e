import Foundation
import ImageCodecs
import Media
import XCTest

final class MomentMergerTests: XCTestCase {
    func frames(_ scores: [Float], step: Double = 1) -> [ScoredFrame] {
        scores.enumerated().map { ScoredFrame(time: Double($0.offset) * step, score: $0.element) }
    }

    func testTwoBumpsBecomeTwoSeparateMomentsBestFirst() {
        //                 0    1    2    3    4    5    6    7    8    9
        let scores: [Float] = [0.10, 0.12, 0.50, 0.55, 0.52, 0.11, 0.10, 0.40, 0.42, 0.12]
        let moments = MomentMerger().moments(of: frames(scores), duration: 10)
        XCTAssertEqual(moments.count, 2)
        XCTAssertEqual(moments[0], Moment(start: 2, end: 5, peakTime: 3, peakScore: 0.55, frameCount: 3))
        XCTAssertEqual(moments[1], Moment(start: 7, end: 9, peakTime: 8, peakScore: 0.42, frameCount: 2))
    }

    func testMomentsNeverOverlapAndShouldersAreNotPeaks() {
        let scores: [Float] = [0.2, 0.3, 0.9, 0.8, 0.55, 0.5, 0.2]
        let moments = MomentMerger(relativeDrop: 0.3).moments(of: frames(scores), duration: nil)
        // Cut-off 0.9 − 0.3 × 0.7 = 0.69: frames 2–3; frame 4 (0.55) slopes up into the moment → no second result.
        XCTAssertEqual(moments.count, 1)
        XCTAssertEqual(moments[0].start, 2)
        XCTAssertEqual(moments[0].end, 4)
        for (index, first) in moments.enumerated() {
            for second in moments[(index + 1)...] {
                XCTAssertTrue(first.end <= second.start || second.end <= first.start)
            }
        }
    }

    func testAbsoluteThresholdAndLastSegmentEndsAtDuration() {
        let scores: [Float] = [0.1, 0.1, 0.3, 0.6, 0.62]
        XCTAssertEqual(MomentMerger(threshold: 0.7).moments(of: frames(scores), duration: 5.5), [])
        let moments = MomentMerger(threshold: 0.59).moments(of: frames(scores), duration: 5.5)
        XCTAssertEqual(moments, [Moment(start: 3, end: 5.5, peakTime: 4, peakScore: 0.62, frameCount: 2)])
    }

    func testUnorderedAndIrregularFrames() {
        // Shot-change samples make the spacing irregular; input order must not matter.
        let input = [ScoredFrame(time: 2.5, score: 0.8), ScoredFrame(time: 0, score: 0.1), ScoredFrame(time: 3.5, score: 0.82),
                     ScoredFrame(time: 1, score: 0.1), ScoredFrame(time: 2, score: 0.12), ScoredFrame(time: 4.5, score: 0.2)]
        XCTAssertEqual(MomentMerger().moments(of: input, duration: 5),
                       [Moment(start: 2.5, end: 4.5, peakTime: 3.5, peakScore: 0.82, frameCount: 2)])
        XCTAssertEqual(MomentMerger().moments(of: [], duration: 3), [])
    }
}

final class VideoExportTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try TestVideos.temporaryFolder()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testTimeParsingAndFormatting() throws {
        XCTAssertEqual(try VideoTime.parse("12.5"), 12.5)
        XCTAssertEqual(try VideoTime.parse("2:03"), 123)
        XCTAssertEqual(try VideoTime.parse("00:12:31"), 751)
        XCTAssertEqual(try VideoTime.parse("1:02:03.250"), 3723.25)
        for bad in ["", "abc", "1:75", "-3", "1:2:3:4", "1.5:10"] {
            XCTAssertThrowsError(try VideoTime.parse(bad), bad)
        }
        XCTAssertEqual(VideoTime.format(751.9), "00:12:31")
        XCTAssertEqual(VideoTime.format(3723.25, fractional: true), "01:02:03.250")
    }

    func testCutBothModesAndThumbnailOfTheRightScene() throws {
        let tools = try TestVideos.tools()
        let video = try TestVideos.scenes(seconds: [4, 4, 4], in: folder, name: "scenes.mp4")
        let export = VideoExport(tools: tools)
        let reencoded = folder.appendingPathComponent("middle.mp4").path
        XCTAssertEqual(try export.cut(input: video.path, start: 4, end: 8, output: reencoded).duration, 4, accuracy: 0.15)
        let copied = folder.appendingPathComponent("copy.mp4").path
        // -g 20 at 10 fps: key frames every 2 s, so a copy from 4 s starts exactly there.
        XCTAssertEqual(try export.cut(input: video.path, start: 4, end: 8, output: copied, mode: .copy).duration, 4, accuracy: 0.3)
        XCTAssertThrowsError(try export.cut(input: video.path, start: 20, end: 25, output: reencoded)) { error in
            guard case MediaError.invalidRange = error else { return XCTFail("\(error)") }
        }

        // The cut's first frame and a thumbnail at 6 s both show the second photo (the rocket).
        let thumbnail = folder.appendingPathComponent("peak.jpg").path
        try export.thumbnail(input: video.path, at: 6, output: thumbnail)
        let firstOfCut = folder.appendingPathComponent("cut-first.jpg").path
        try export.thumbnail(input: reencoded, at: 0, output: firstOfCut)
        let samples = try [thumbnail, firstOfCut].map { try ImageDecoder.decode(fileAt: URL(fileURLWithPath: $0)) }
        XCTAssertEqual(samples[0].width, 320)
        let references = try [0, 4, 8].map { time -> RGBImage in
            let path = folder.appendingPathComponent("ref-\(time).jpg").path
            try export.thumbnail(input: video.path, at: Double(time) + 1, output: path)
            return try ImageDecoder.decode(fileAt: URL(fileURLWithPath: path))
        }
        for sample in samples {
            let differences = references.map { reference in
                zip(reference.pixels, sample.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(sample.pixels.count)
            }
            XCTAssertEqual(differences.firstIndex(of: differences.min() ?? 0), 1, "\(differences)")
        }
        XCTAssertThrowsError(try export.thumbnail(input: video.path, at: 30, output: thumbnail))
    }
}
