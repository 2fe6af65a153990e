import Foundation
import ImageCodecs
@testable import Media
import XCTest

/// Export and thumbnails on the videos a robustness sweep broke them on: MPEG-TS seeking, odd and
/// anamorphic sizes, WebM output, damaged streams, and the last frame.
final class VideoExportEdgeTests: XCTestCase {
    var folder: URL!
    static let photos = ["rocket-baseline-420.jpg", "coffee-444.jpg", "astronaut-progressive.jpg"]

    override func setUpWithError() throws {
        folder = try TestVideos.temporaryFolder()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func image(_ path: String) throws -> RGBImage { try ImageDecoder.decode(fileAt: URL(fileURLWithPath: path)) }

    /// Which of `references` (same size) the JPEG at `path` shows.
    func scene(_ path: String, _ references: [RGBImage]) throws -> Int {
        let sample = try image(path)
        let differences = references.map { reference in
            zip(reference.pixels, sample.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(sample.pixels.count)
        }
        return differences.firstIndex(of: differences.min() ?? 0) ?? -1
    }

    /// Frames of the three 2-s scenes, taken from an MP4 (whose seeks were always right).
    func references(_ export: VideoExport) throws -> [RGBImage] {
        let mp4 = try TestVideos.scenes(Self.photos, seconds: [2, 2, 2], in: folder, name: "reference.mp4")
        return try [1.0, 3, 5].map { time in
            try export.thumbnail(input: mp4.path, at: time, output: path("reference-\(time).jpg"))
            return try image(path("reference-\(time).jpg"))
        }
    }

    /// An MPEG-TS demuxer seek lands on the key frame after the time: frames and cuts must not.
    func testMPEGTSThumbnailsAndCutsStartAtTheAskedTime() throws {
        let export = VideoExport(tools: try TestVideos.tools())
        let scenes = try references(export)
        let ts = try TestVideos.scenes(Self.photos, seconds: [2, 2, 2], in: folder, name: "scenes.ts").path
        for (time, expected) in [(1.0, 0), (1.9, 0), (2.5, 1), (4.5, 2), (5.5, 2)] {
            let frame = try export.thumbnail(input: ts, at: time, output: path("at-\(time).jpg"))
            XCTAssertEqual(try scene(path("at-\(time).jpg"), scenes), expected, "frame at \(time)")
            XCTAssertEqual(frame.time, time, accuracy: 0.11)
        }
        // A demuxer seek to 0.5 s lands at the 2 s key frame: not before 1.5 s, so no input seek.
        XCTAssertEqual(try export.checkedInputSeek(0.5, before: 1.5, input: ts, info: try VideoProbe(tools: export.tools).probe(path: ts)), 0)

        let cut = try export.cut(input: ts, start: 1, end: 3.5, output: path("cut.mp4"))
        XCTAssertEqual(cut.duration, 2.5, accuracy: 0.15)
        try export.thumbnail(input: path("cut.mp4"), at: 0, output: path("cut-first.jpg"))
        XCTAssertEqual(try scene(path("cut-first.jpg"), scenes), 0)
        XCTAssertEqual(try export.cut(input: ts, start: 0.5, end: 1.9, output: path("short.mp4")).duration, 1.4, accuracy: 0.15)
        // A stream copy starts at the key frame at or before the start (0 s here), not after it.
        let copy = try export.cut(input: ts, start: 1, end: 3.5, output: path("copy.ts"), mode: .copy)
        XCTAssertEqual(copy.start, 0, accuracy: 0.01)
        XCTAssertEqual(copy.duration, 3.5, accuracy: 0.2)
        let late = try export.cut(input: ts, start: 4.5, end: 6, output: path("late.ts"), mode: .copy)
        XCTAssertEqual(late.start, 4, accuracy: 0.01)
    }

    func testOddSizesReencodeWebMOutputWorksAndFailuresLeaveNoFile() throws {
        let export = VideoExport(tools: try TestVideos.tools())
        try TestVideos.ffmpeg(["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-loop", "1", "-framerate", "10", "-t", "2",
                               "-i", TestVideos.photos.appendingPathComponent("coffee-444.jpg").path, "-vf", "scale=321:239,setsar=1,format=yuv420p",
                               "-c:v", "libvpx-vp9", "-deadline", "realtime", path("odd.webm")])
        let probe = VideoProbe(tools: export.tools)
        XCTAssertEqual(try probe.probe(path: path("odd.webm")).width, 321)
        XCTAssertEqual(try export.cut(input: path("odd.webm"), start: 0.5, end: 1.5, output: path("odd.mp4")).duration, 1, accuracy: 0.15)
        let written = try probe.probe(path: path("odd.mp4"))
        XCTAssertTrue(written.width % 2 == 0 && written.height % 2 == 0 && abs(written.width - 321) <= 1 && abs(written.height - 239) <= 1,
                      "\(written.width)×\(written.height)")
        try export.thumbnail(input: path("odd.webm"), at: 1, output: path("odd.jpg"))
        XCTAssertEqual(try image(path("odd.jpg")).width, 321)

        let mp4 = try TestVideos.scenes(seconds: [2, 2], in: folder, name: "scenes.mp4")
        XCTAssertEqual(try export.cut(input: mp4.path, start: 1, end: 3, output: path("out.webm")).duration, 2, accuracy: 0.15)
        let webm = try probe.probe(path: path("out.webm"))
        XCTAssertEqual(webm.codec, "vp9")
        XCTAssertTrue(webm.container.contains("webm"), webm.container)

        // H.264 does not fit WebM: the copy fails, and neither the output nor a temporary file stays.
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        XCTAssertThrowsError(try export.cut(input: mp4.path, start: 0, end: 1, output: path("copy.webm"), mode: .copy)) { error in
            guard case MediaError.exportFailed(let output, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(output, self.path("copy.webm"))
        }
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)), before)
    }

    /// 360×480 stored with a 16:9 sample aspect ratio is shown 640×480.
    func testAnamorphicVideoIsWrittenAtItsDisplaySize() throws {
        let export = VideoExport(tools: try TestVideos.tools())
        let video = try TestVideos.scenes(seconds: [2], in: folder, name: "anamorphic.mp4", width: 360, height: 480, extraOutput: ["-aspect", "4:3"])
        XCTAssertEqual(try VideoProbe(tools: export.tools).probe(path: video.path).displayWidth, 640)
        try export.thumbnail(input: video.path, at: 1, output: path("small.jpg"), width: 120)
        XCTAssertEqual([try image(path("small.jpg")).width, try image(path("small.jpg")).height], [120, 90])
        try export.thumbnail(input: video.path, at: 1, output: path("full.jpg"))
        XCTAssertEqual([try image(path("full.jpg")).width, try image(path("full.jpg")).height], [640, 480])
        try export.cut(input: video.path, start: 0, end: 1, output: path("cut.mp4"))
        let cut = try VideoProbe(tools: export.tools).probe(path: path("cut.mp4"))
        XCTAssertEqual([cut.width, cut.height, cut.displayWidth], [640, 480, 640])
    }

    /// The frame at the very end is the last one; the time reported is the frame's.
    func testThumbnailAtTheEndTakesTheLastFrameAndReportsItsTime() throws {
        let export = VideoExport(tools: try TestVideos.tools())
        let short = try TestVideos.scenes(seconds: [0.3], in: folder, name: "short.mp4")
        let last = try export.thumbnail(input: short.path, at: 0.3, output: path("short.jpg"))
        XCTAssertEqual(last.time, 0.2, accuracy: 0.01)
        XCTAssertTrue(VideoExport.isJPEG(path("short.jpg")))
        let video = try TestVideos.scenes(seconds: [2, 2, 2], in: folder, name: "six.mp4")
        XCTAssertEqual(try export.thumbnail(input: video.path, at: 6, output: path("end.jpg")).time, 5.9, accuracy: 0.01)
        XCTAssertEqual(try export.thumbnail(input: video.path, at: 2.05, output: path("mid.jpg")).time, 2.1, accuracy: 0.01)
    }

    /// ffmpeg exits non-zero when most packets it read were damaged, though the frame decoded.
    func testDamagedStreamKeepsTheDecodedFrameWithAWarning() throws {
        let tools = try TestVideos.tools()
        let video = try TestVideos.scenes(seconds: [2, 2], in: folder, name: "whole.mp4")
        let listing = try FFmpegTools.run(tools.ffprobe, ["-v", "error", "-select_streams", "v", "-show_entries", "packet=pos,size",
                                                          "-of", "csv=p=0", video.path])
        var bytes = try Data(contentsOf: video)
        let packets = String(decoding: listing.output, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.split(separator: ",").compactMap { Int($0) } }.filter { $0.count == 2 }
        // ffprobe prints size before pos. The key frame loses all but its first 200 bytes (it decodes
        // concealed) and the next six packets are lost: most packets read fail, so ffmpeg exits 69.
        let damage = (packets[0][1] + 200)..<(packets[6][1] + packets[6][0])
        bytes.replaceSubrange(damage, with: Data(repeating: 0xFF, count: damage.count))
        let damaged = path("damaged.mp4")
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let frame = try VideoExport(tools: tools).thumbnail(input: damaged, at: 0, output: path("damaged.jpg"))
        XCTAssertNotNil(frame.warning)
        XCTAssertFalse(frame.warning?.contains("\n") ?? true)
        XCTAssertEqual(try image(path("damaged.jpg")).width, 320)
        XCTAssertFalse("\(MediaError.thumbnailFailed(path: "a.jpg", reason: "x"))".contains("export"))
    }
}
