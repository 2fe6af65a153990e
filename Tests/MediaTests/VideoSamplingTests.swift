import Foundation
import ImageCodecs
import Media
import XCTest

final class VideoSamplingTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try TestVideos.temporaryFolder()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Mean RGB of the centered `aspect` crop of an image (what the test video shows of a photo).
    func meanColor(_ image: RGBImage, aspect: Double? = nil) -> [Double] {
        var (x0, y0, width, height) = (0, 0, image.width, image.height)
        if let aspect {
            if Double(width) / Double(height) > aspect {
                width = Int(Double(height) * aspect)
                x0 = (image.width - width) / 2
            } else {
                height = Int(Double(width) / aspect)
                y0 = (image.height - height) / 2
            }
        }
        var sums = [0.0, 0.0, 0.0]
        for y in y0..<(y0 + height) {
            for x in x0..<(x0 + width) {
                for channel in 0..<3 { sums[channel] += Double(image.pixels[(y * image.width + x) * 3 + channel]) }
            }
        }
        return sums.map { $0 / Double(width * height) }
    }

    func distance(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
    }

    func testProbeReadsDurationCodecAndSize() throws {
        let video = try TestVideos.scenes(seconds: [4, 4, 4], in: folder, name: "scenes.mp4")
        let info = try VideoProbe(tools: try TestVideos.tools()).probe(path: video.path)
        XCTAssertEqual(info.duration, 12, accuracy: 0.15)
        XCTAssertEqual(info.codec, "h264")
        XCTAssertEqual(info.width, 320)
        XCTAssertEqual(info.height, 240)
        XCTAssertEqual(info.frameRate ?? 0, 10, accuracy: 0.01)
        XCTAssertFalse(info.hasAudio)
    }

    func testBadFilesGiveClearErrors() throws {
        let tools = try TestVideos.tools()
        let probe = VideoProbe(tools: tools)
        let audio = try TestVideos.audioOnly(in: folder)
        XCTAssertThrowsError(try probe.probe(path: audio.path)) { error in
            guard case MediaError.noVideoStream(let path, let streams) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, audio.path)
            XCTAssertEqual(streams, ["audio (aac)"])
        }
        // mp4 writes its index (moov) at the end: a cut-off file has none.
        let video = try TestVideos.scenes(seconds: [2, 2], in: folder, name: "whole.mp4")
        let cut = try TestVideos.truncated(video, fraction: 0.5, in: folder, name: "cut.mp4")
        XCTAssertThrowsError(try probe.probe(path: cut.path)) { error in
            guard case MediaError.unreadable(let path, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, cut.path)
            XCTAssertTrue(reason.contains("moov") || reason.contains("Invalid data"), reason)
        }
        let empty = folder.appendingPathComponent("empty.mkv")
        try Data().write(to: empty)
        XCTAssertThrowsError(try probe.probe(path: empty.path)) { error in
            guard case MediaError.unreadable = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try probe.probe(path: folder.appendingPathComponent("missing.mp4").path)) { error in
            guard case MediaError.unreadable(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("missing"), reason)
        }
    }

    func testProbeRulesForZeroDurationCoverArtAndRotation() throws {
        let zero = Data("""
            {"streams":[{"index":0,"codec_type":"video","codec_name":"h264","width":64,"height":48,"duration":"0.000"}],
             "format":{"format_name":"mov","duration":"0.0"}}
            """.utf8)
        XCTAssertThrowsError(try VideoProbe.parse(json: zero, path: "z.mp4")) { error in
            XCTAssertEqual(error as? MediaError, .zeroDuration(path: "z.mp4"))
        }
        let coverArt = Data("""
            {"streams":[{"index":0,"codec_type":"audio","codec_name":"mp3"},
                        {"index":1,"codec_type":"video","codec_name":"mjpeg","width":500,"height":500,"disposition":{"attached_pic":1}}],
             "format":{"format_name":"mp3","duration":"180.0"}}
            """.utf8)
        XCTAssertThrowsError(try VideoProbe.parse(json: coverArt, path: "song.mp3")) { error in
            XCTAssertEqual(error as? MediaError, .noVideoStream(path: "song.mp3", streams: ["audio (mp3)", "cover art (mjpeg)"]))
        }
        let rotated = Data("""
            {"streams":[{"index":1,"codec_type":"video","codec_name":"hevc","width":1920,"height":1080,
                         "avg_frame_rate":"30000/1001","side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]}],
             "format":{"format_name":"mov,mp4","duration":"5.5"}}
            """.utf8)
        let info = try VideoProbe.parse(json: rotated, path: "phone.mov")
        XCTAssertEqual(info.displayWidth, 1080)
        XCTAssertEqual(info.displayHeight, 1920)
        XCTAssertEqual(info.streamIndex, 1)
        XCTAssertEqual(info.frameRate ?? 0, 29.97, accuracy: 0.01)
    }

    func testSamplesEverySecondPlusShotChangesWithExactTimesAndRightPixels() throws {
        let tools = try TestVideos.tools()
        // Scene cuts at 2.5 s and 5.0 s fall between the 1 s samples (0, 1, 2) → extra samples there.
        let video = try TestVideos.scenes(seconds: [2.5, 2.5, 3], in: folder, name: "cuts.mp4")
        let info = try VideoProbe(tools: tools).probe(path: video.path)
        var options = SamplingOptions()
        options.shortSide = 48
        let sampler = VideoFrameSampler(tools: tools, options: options)
        XCTAssertEqual(sampler.outputSize(for: info).width, 64)
        XCTAssertEqual(sampler.outputSize(for: info).height, 48)
        var frames: [VideoFrame] = []
        let summary = try sampler.sample(path: video.path, info: info) { frames.append($0) }
        let times = frames.map(\.time)
        XCTAssertEqual(summary.frameCount, frames.count)
        XCTAssertEqual(times, [0, 1, 2, 2.5, 3.5, 4.5, 5, 6, 7], "sampled times")
        XCTAssertTrue(frames.allSatisfy { $0.image.width == 64 && $0.image.height == 48 })

        let photoColors = try TestVideos.scenePhotos.map { name in
            meanColor(try ImageDecoder.decode(fileAt: TestVideos.photos.appendingPathComponent(name)), aspect: 4.0 / 3.0)
        }
        for frame in frames {
            let scene = frame.time < 2.5 ? 0 : frame.time < 5 ? 1 : 2
            let color = meanColor(frame.image)
            let distances = photoColors.map { distance($0, color) }
            XCTAssertEqual(distances.firstIndex(of: distances.min() ?? 0), scene, "frame at \(frame.time) s: \(distances)")
        }

        // Without shot detection only the interval grid remains.
        var plain = options
        plain.sceneThreshold = nil
        plain.interval = 2
        var plainTimes: [Double] = []
        _ = try VideoFrameSampler(tools: tools, options: plain).sample(path: video.path, info: info) { plainTimes.append($0.time) }
        XCTAssertEqual(plainTimes, [0, 2, 4, 6])
    }

    func testFastAndKeyframeDecodingStillSample() throws {
        let tools = try TestVideos.tools()
        let video = try TestVideos.scenes(seconds: [4, 4], in: folder, name: "two.mp4")
        let info = try VideoProbe(tools: tools).probe(path: video.path)
        for mode in [DecodingMode.fast, .keyframes] {
            var options = SamplingOptions()
            options.shortSide = 32
            options.decoding = mode
            var times: [Double] = []
            _ = try VideoFrameSampler(tools: tools, options: options).sample(path: video.path, info: info) { times.append($0.time) }
            XCTAssertFalse(times.isEmpty, "\(mode)")
            XCTAssertEqual(times, times.sorted(), "\(mode)")
            if mode == .keyframes {
                // -g 20 at 10 fps: a key frame every 2 s, and one at each scene cut x264 detects.
                XCTAssertTrue(times.allSatisfy { ($0 * 10).rounded() / 10 == $0 }, "\(times)")
                XCTAssertLessThanOrEqual(times.count, 6, "\(times)")
            } else {
                XCTAssertEqual(times, [0, 1, 2, 3, 4, 5, 6, 7])
            }
        }
    }

    /// Phone-like GOP (a key frame every second, no B-frames): `.fast` decodes key frames only and
    /// yields the very frames full decoding samples; a sparser GOP keeps `.fast`.
    func testFastModeDecodesOnlyKeyFramesWhenTheyAreDenseEnough() throws {
        let tools = try TestVideos.tools()
        let phone = try TestVideos.scenes(seconds: [4, 4], in: folder, name: "phone.mp4",
                                          extraOutput: ["-g", "10", "-sc_threshold", "0", "-bf", "0"])
        let info = try VideoProbe(tools: tools).probe(path: phone.path)
        XCTAssertEqual(info.keyframeTimes, (0..<8).map(Double.init))
        XCTAssertEqual(info.reorderDelay, 0, "no B-frames: key frames are also discarded in the demuxer")
        var options = SamplingOptions()
        options.shortSide = 32
        func sample(_ mode: DecodingMode, interval: Double = 1) throws -> (SamplingSummary, [VideoFrame]) {
            var adjusted = options
            adjusted.decoding = mode
            adjusted.interval = interval
            var frames: [VideoFrame] = []
            let summary = try VideoFrameSampler(tools: tools, options: adjusted).sample(path: phone.path, info: info) { frames.append($0) }
            return (summary, frames)
        }
        var fastOptions = options
        fastOptions.decoding = .fast
        XCTAssertEqual(VideoFrameSampler(tools: tools, options: fastOptions).plan(for: info),
                       SamplingPlan(decoding: .keyframes, spacing: 0.5, keyframeGap: 1))
        let (fastSummary, fastFrames) = try sample(.fast)
        let (fullSummary, fullFrames) = try sample(.full)
        XCTAssertEqual(fastSummary.decoding, .keyframes)
        XCTAssertEqual(fullSummary.decoding, .full)
        XCTAssertEqual(fastFrames.map(\.time), (0..<8).map(Double.init))
        XCTAssertEqual(fastFrames.map(\.time), fullFrames.map(\.time))
        // Key frames decode identically either way: the same pixels as full decoding.
        for (fast, full) in zip(fastFrames, fullFrames) { XCTAssertEqual(fast.image.pixels, full.image.pixels, "frame at \(fast.time) s") }
        XCTAssertEqual(try sample(.fast, interval: 2).1.map(\.time), [0, 2, 4, 6])

        // Key frames 2 s apart (the other test videos) are too sparse for a 1 s grid.
        let sparse = try TestVideos.scenes(seconds: [4, 4], in: folder, name: "sparse.mp4", extraOutput: ["-sc_threshold", "0"])
        let sparseInfo = try VideoProbe(tools: tools).probe(path: sparse.path)
        XCTAssertEqual(sparseInfo.keyframeTimes, [0, 2, 4, 6])
        XCTAssertEqual(VideoFrameSampler(tools: tools, options: fastOptions).plan(for: sparseInfo).decoding, .fast)
        // Only the fast mode adapts: full decoding stays full on the phone-like video.
        XCTAssertEqual(VideoFrameSampler(tools: tools, options: options).plan(for: info).decoding, .full)
    }

    /// With B-frames, dropping packets in the demuxer would shift key frames onto their neighbours'
    /// timestamps (the decoder's reorder delay), so key-frame decoding keeps every packet there.
    func testKeyFrameDecodingKeepsExactTimesWithBFrames() throws {
        let tools = try TestVideos.tools()
        let video = try TestVideos.scenes(seconds: [3, 3], in: folder, name: "bframes.mp4",
                                          extraOutput: ["-preset", "veryfast", "-bf", "3", "-g", "10", "-sc_threshold", "0"])
        let info = try VideoProbe(tools: tools).probe(path: video.path)
        XCTAssertGreaterThan(info.reorderDelay ?? 0, 0)
        XCTAssertEqual(info.keyframeTimes, (0..<6).map(Double.init))
        var options = SamplingOptions()
        options.shortSide = 32
        options.interval = 0.5
        options.decoding = .keyframes
        let sampler = VideoFrameSampler(tools: tools, options: options)
        XCTAssertFalse(sampler.arguments(path: video.path, info: info).contains("-discard"))
        var times: [Double] = []
        _ = try sampler.sample(path: video.path, info: info) { times.append($0.time) }
        XCTAssertEqual(times, info.keyframeTimes)

        var withoutBFrames = info
        withoutBFrames.reorderDelay = 0
        XCTAssertTrue(sampler.arguments(path: video.path, info: withoutBFrames).contains("-discard"))
    }

    func testStoppingEarlyEndsFfmpegAndReportsIt() throws {
        let tools = try TestVideos.tools()
        let video = try TestVideos.scenes(seconds: [4, 4, 4], in: folder, name: "long.mp4")
        let info = try VideoProbe(tools: tools).probe(path: video.path)
        var options = SamplingOptions()
        options.shortSide = 32
        options.bufferedFrames = 2
        var seen = 0
        let summary = try VideoFrameSampler(tools: tools, options: options).sample(path: video.path, info: info, shouldStop: { seen >= 3 }) { _ in
            seen += 1
        }
        XCTAssertTrue(summary.stopped)
        XCTAssertEqual(summary.frameCount, 3)
    }

    func testTruncatedStreamIsReported() throws {
        let tools = try TestVideos.tools()
        // faststart puts the index first: the header survives the cut, the frames do not.
        let video = try TestVideos.scenes(seconds: [4, 4, 4], in: folder, name: "fast.mp4", extraOutput: ["-movflags", "+faststart"])
        let cut = try TestVideos.truncated(video, fraction: 0.4, in: folder, name: "fast-cut.mp4")
        let info = try VideoProbe(tools: tools).probe(path: cut.path)
        XCTAssertEqual(info.duration, 12, accuracy: 0.15)
        var options = SamplingOptions()
        options.shortSide = 32
        XCTAssertThrowsError(try VideoFrameSampler(tools: tools, options: options).sample(path: cut.path, info: info) { _ in }) { error in
            switch error as? MediaError {
            case .truncated(let path, let decoded, let duration):
                XCTAssertEqual(path, cut.path)
                XCTAssertLessThan(decoded, 9)
                XCTAssertEqual(duration, 12, accuracy: 0.15)
            case .decodingFailed(let path, _):
                XCTAssertEqual(path, cut.path)
            default:
                XCTFail("\(error)")
            }
        }
    }

    /// The Matroska muxer drops `attached_pic`: a one-frame picture stream is still not the video.
    func testStillPictureStreamsAreNotTheVideo() throws {
        let tools = try TestVideos.tools()
        let video = try TestVideos.scenes(seconds: [2, 2, 2], in: folder, name: "video.mp4")
        let cover = TestVideos.photos.appendingPathComponent("coffee-rgb.png").path
        let quiet = ["-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
        try TestVideos.ffmpeg(quiet + ["-i", video.path, "-i", cover, "-map", "1", "-map", "0:v", "-c:v:0", "mjpeg",
                                       "-disposition:v:0", "attached_pic", "-c:v:1", "copy", folder.appendingPathComponent("cover-first.mkv").path])
        let info = try VideoProbe(tools: tools).probe(path: folder.appendingPathComponent("cover-first.mkv").path)
        XCTAssertEqual([info.streamIndex, info.width], [1, 320])
        XCTAssertEqual(info.codec, "h264")
        var options = SamplingOptions()
        options.sceneThreshold = nil
        var times: [Double] = []
        let summary = try VideoFrameSampler(tools: tools, options: options).sample(path: folder.appendingPathComponent("cover-first.mkv").path, info: info) { times.append($0.time) }
        XCTAssertEqual(times, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(summary.frameCount, 6)

        try TestVideos.ffmpeg(quiet + ["-f", "lavfi", "-i", "sine=duration=2", "-i", cover, "-map", "0", "-map", "1", "-c:a", "libmp3lame",
                                       "-c:v", "mjpeg", "-disposition:v", "attached_pic", folder.appendingPathComponent("song.mkv").path])
        XCTAssertThrowsError(try VideoProbe(tools: tools).probe(path: folder.appendingPathComponent("song.mkv").path)) { error in
            guard case MediaError.noVideoStream(_, let streams) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(streams, ["audio (mp3)", "still image (mjpeg)"])
        }
        // Motion JPEG video (many frames) stays a video, and wins over nothing else.
        let motion = Data("""
            {"streams":[{"index":0,"codec_type":"video","codec_name":"mjpeg","width":64,"height":48,"nb_frames":"50","duration":"5.0"}],
             "format":{"format_name":"avi","duration":"5.0"}}
            """.utf8)
        XCTAssertEqual(try VideoProbe.parse(json: motion, path: "m.avi").codec, "mjpeg")
    }
}
