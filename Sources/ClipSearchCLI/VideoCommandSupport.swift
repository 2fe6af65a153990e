import ArgumentParser
import Catalog
import Foundation
import Media
import SearchCore
import TensorCore

extension MediaType: ExpressibleByArgument {}
extension DecodingMode: ExpressibleByArgument {}
extension VideoExport.CutMode: ExpressibleByArgument {}

/// Video options of `clip-search index`.
struct VideoIndexArguments: ParsableArguments {
    @Flag(help: "Skip videos (index photos only).")
    var noVideos = false

    @Option(help: "Seconds between sampled video frames.")
    var videoInterval: Double = 1

    @Option(help: "ffmpeg scene score (0–1) above which a frame is also sampled as a shot change.")
    var sceneThreshold: Double = 0.3

    @Flag(help: "Do not sample extra frames at shot changes.")
    var noShotDetection = false

    @Option(help: "Video decoding: full (every frame), fast (skip B-frames and deblocking, or only key frames when they are at most --video-interval apart; default), keyframes (fastest, coarse).")
    var videoDecoding: DecodingMode = .fast

    @Option(help: "Matrix products for video frames: bf16 (default: one AMX bf16 pass, ~3× less tile work; frame vectors stay within ~2e-3 per element of bf16x3, cosine ≥ 0.9999) or model (the model's --precision, as photos).")
    var videoPrecision: VideoPrecision = .bf16

    enum VideoPrecision: String, ExpressibleByArgument, CaseIterable {
        case bf16, model
    }

    func validate() throws {
        guard videoInterval > 0, videoInterval.isFinite else { throw ValidationError("--video-interval must be a positive number of seconds") }
        guard (0...1).contains(sceneThreshold) else { throw ValidationError("--scene-threshold must be between 0 and 1") }
    }

    var sampling: SamplingOptions {
        var options = SamplingOptions()
        options.interval = videoInterval
        options.sceneThreshold = noShotDetection ? nil : sceneThreshold
        options.decoding = videoDecoding
        return options
    }
}

extension VideoIndexArguments {
    /// Video options of an index run: nil with --no-videos, or without ffmpeg (said on stderr;
    /// photos still index, and video rows stay as they are).
    func indexOptions() -> VideoIndexOptions? {
        guard !noVideos else { return nil }
        let tools: FFmpegTools
        do { tools = try FFmpegTools.locate() } catch {
            standardError("videos skipped: \(error)")
            return nil
        }
        var options = VideoIndexOptions(tools: tools)
        options.sampling = sampling
        options.framePrecisionLimit = videoPrecision == .bf16 ? .bfloat16 : nil
        return options
    }
}

/// Table and JSON forms of photo and moment results.
enum MomentFormatting {
    /// `path @ 00:12:31–00:12:44 (peak 00:12:35)` for a moment (milliseconds when a time is not a whole
    /// second, so `export --moment` cuts exactly there), the path for a photo.
    static func label(_ result: MomentResult) -> String {
        let path = printable(result.path)
        guard let moment = result.moment else { return path }
        let span: String = VideoTime.compact(moment.start) + "–" + VideoTime.compact(moment.end)
        return "\(path) @ \(span) (peak \(VideoTime.compact(moment.peakTime)))"
    }

    /// A path with its control characters escaped (`\n`, `\t`, `\u{1B}`): one table row per result
    /// even for a file name with a line break, and no terminal escape sequences from file names.
    static func printable(_ path: String) -> String {
        guard path.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return path }
        return path.unicodeScalars.map { scalar -> String in
            guard scalar.properties.generalCategory == .control else { return String(scalar) }
            switch scalar {
            case "\n": return "\\n"
            case "\t": return "\\t"
            case "\r": return "\\r"
            default: return "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            }
        }.joined()
    }

    static func json(_ result: MomentResult) -> String {
        var text = "{\"rank\":\(result.rank),\"score\":\(result.score),\"path\":\(JSONText.string(result.path)),"
            + "\"media_id\":\(result.mediaID),\"type\":\"\(result.mediaType.rawValue)\",\"time\":\(result.frameTime)"
        if let moment = result.moment {
            text += ",\"start\":\(moment.start),\"end\":\(moment.end),\"peak\":\(moment.peakTime),\"frames\":\(moment.frameCount)"
        }
        return text + "}"
    }
}

/// Seconds or `[hh:]mm:ss[.fff]` on the command line.
struct TimeArgument: ExpressibleByArgument {
    let seconds: Double

    init?(argument: String) {
        guard let value = try? VideoTime.parse(argument) else { return nil }
        seconds = value
    }
}
