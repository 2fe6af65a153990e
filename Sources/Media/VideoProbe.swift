import Foundation

/// What ffprobe says about a video file.
public struct VideoInfo: Sendable, Equatable {
    /// Seconds.
    public var duration: Double
    /// ffmpeg's codec name of the first picture stream (`h264`, `vp9`, `av1`, …).
    public var codec: String
    /// Stored size in pixels.
    public var width: Int
    public var height: Int
    /// Size as shown: sample aspect ratio applied and rotated by the display matrix (ffmpeg auto-rotates).
    public var displayWidth: Int
    public var displayHeight: Int
    /// Frames per second (average), nil when unknown.
    public var frameRate: Double?
    public var hasAudio: Bool
    public var container: String
    /// Index of the picture stream in the file (what `-map 0:N` selects).
    public var streamIndex: Int
    /// Presentation times of the picture stream's key frames in its first `VideoProbe.keyframeWindow`
    /// seconds, sorted (from packet flags; empty when unknown).
    public var keyframeTimes: [Double]
    /// Frames the decoder holds back to reorder B-frames (ffprobe's `has_b_frames`); nil when unknown.
    public var reorderDelay: Int?
    /// The container's first timestamp (MPEG-TS rarely starts at 0); ffmpeg's `-ss` counts from it,
    /// `keyframeTimes` do not.
    public var startTime: Double

    public init(duration: Double, codec: String, width: Int, height: Int, displayWidth: Int, displayHeight: Int,
                frameRate: Double?, hasAudio: Bool, container: String, streamIndex: Int = 0, keyframeTimes: [Double] = [],
                reorderDelay: Int? = nil, startTime: Double = 0) {
        self.duration = duration
        self.codec = codec
        self.width = width
        self.height = height
        self.displayWidth = displayWidth
        self.displayHeight = displayHeight
        self.frameRate = frameRate
        self.hasAudio = hasAudio
        self.container = container
        self.streamIndex = streamIndex
        self.keyframeTimes = keyframeTimes
        self.reorderDelay = reorderDelay
        self.startTime = startTime
    }
}

/// Reads a video's streams with `ffprobe -print_format json`.
public struct VideoProbe: Sendable {
    public let tools: FFmpegTools
    /// Seconds from the start whose packets are listed for `VideoInfo.keyframeTimes`: demuxing
    /// only, in the same ffprobe run (a second ffprobe start would cost ~0.2 CPU seconds per video).
    public static let keyframeWindow = 20.0

    public init(tools: FFmpegTools) {
        self.tools = tools
    }

    public func probe(path: String) throws -> VideoInfo {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw MediaError.unreadable(path: path, reason: "file missing or not readable")
        }
        let result = try FFmpegTools.run(tools.ffprobe, ["-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                                                         "-read_intervals", "%+\(Int(Self.keyframeWindow))",
                                                         "-show_entries", "packet=stream_index,pts_time,flags", "--", path])
        guard result.status == 0 else {
            throw MediaError.unreadable(path: path, reason: Self.toolMessage(result.error, path: path, fallback: "ffprobe exit status \(result.status)"))
        }
        return try Self.parse(json: result.output, path: path)
    }

    /// Interprets ffprobe's JSON (separate from running it so the rules are testable).
    public static func parse(json: Data, path: String) throws -> VideoInfo {
        guard let root = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw MediaError.unreadable(path: path, reason: "ffprobe printed no JSON")
        }
        let streams = root["streams"] as? [[String: Any]] ?? []
        let format = root["format"] as? [String: Any] ?? [:]
        guard !streams.isEmpty || !format.isEmpty else {
            throw MediaError.unreadable(path: path, reason: "ffprobe found no format and no streams")
        }
        guard let video = pictureStream(streams) else {
            throw MediaError.noVideoStream(path: path, streams: streams.map { stream in
                let type = stream["codec_type"] as? String ?? "unknown"
                let codec = stream["codec_name"] as? String ?? "?"
                if isCoverArt(stream) { return "cover art (\(codec))" }
                return isStillImage(stream) ? "still image (\(codec))" : "\(type) (\(codec))"
            })
        }
        guard let width = video["width"] as? Int, let height = video["height"] as? Int, width > 0, height > 0 else {
            throw MediaError.unreadable(path: path, reason: "the video stream has no picture size (unsupported codec?)")
        }
        let duration = [number(video["duration"]), number(format["duration"])].compactMap { $0 }.first { $0 > 0 } ?? 0
        guard duration > 0, duration.isFinite else { throw MediaError.zeroDuration(path: path) }

        var displayWidth = width, displayHeight = height
        if let aspect = ratio(video["sample_aspect_ratio"]), aspect > 0, abs(aspect - 1) > 1e-6 {
            displayWidth = max(1, Int((Double(width) * aspect).rounded()))
        }
        if quarterTurn(video) { swap(&displayWidth, &displayHeight) }
        return VideoInfo(
            duration: duration, codec: video["codec_name"] as? String ?? "unknown", width: width, height: height,
            displayWidth: displayWidth, displayHeight: displayHeight,
            frameRate: ratio(video["avg_frame_rate"]).flatMap { $0 > 0 ? $0 : nil } ?? ratio(video["r_frame_rate"]),
            hasAudio: streams.contains { $0["codec_type"] as? String == "audio" },
            container: format["format_name"] as? String ?? "unknown", streamIndex: video["index"] as? Int ?? 0,
            keyframeTimes: keyframeTimes(root["packets"] as? [[String: Any]] ?? [], streamIndex: video["index"] as? Int ?? 0),
            reorderDelay: video["has_b_frames"] as? Int, startTime: number(format["start_time"]).flatMap { $0.isFinite ? $0 : nil } ?? 0)
    }

    /// Codecs that store pictures; also used as one-frame "video" streams for cover art.
    static let imageCodecs: Set<String> = ["mjpeg", "png", "bmp", "tiff", "webp", "gif", "jpeg2000", "jpegls", "qoi"]

    static func isCoverArt(_ stream: [String: Any]) -> Bool {
        ((stream["disposition"] as? [String: Any])?["attached_pic"] as? Int) == 1
    }

    /// An image codec holding one frame or a fraction of a second: cover art whose `attached_pic`
    /// flag was lost (the Matroska muxer drops it). Motion JPEG video keeps its frames, so it stays a video.
    static func isStillImage(_ stream: [String: Any]) -> Bool {
        if isCoverArt(stream) { return true }
        guard imageCodecs.contains(stream["codec_name"] as? String ?? "") else { return false }
        if let frames = number(stream["nb_frames"]) { return frames <= 1 }
        if let seconds = streamSeconds(stream) { return seconds < 0.5 }
        return false
    }

    /// The stream's own length: ffprobe's `duration`, or Matroska's `DURATION` tag (hh:mm:ss.fffffffff).
    static func streamSeconds(_ stream: [String: Any]) -> Double? {
        if let seconds = number(stream["duration"]) { return seconds }
        let tags = stream["tags"] as? [String: Any] ?? [:]
        guard let text = (tags["DURATION"] ?? tags["duration"]) as? String else { return nil }
        return try? VideoTime.parse(text)
    }

    /// The video to decode among several picture streams: never a still image; then a video codec over
    /// an image codec, then the longest stream, then the first.
    static func pictureStream(_ streams: [[String: Any]]) -> [String: Any]? {
        let candidates = streams.enumerated().filter { $0.element["codec_type"] as? String == "video" && !isStillImage($0.element) }
        return candidates.min { first, second in
            func key(_ item: (offset: Int, element: [String: Any])) -> (Int, Double, Int) {
                (imageCodecs.contains(item.element["codec_name"] as? String ?? "") ? 1 : 0, -(streamSeconds(item.element) ?? 0), item.offset)
            }
            return key(first) < key(second)
        }?.element
    }

    static func keyframeTimes(_ packets: [[String: Any]], streamIndex: Int) -> [Double] {
        packets.compactMap { packet -> Double? in
            guard packet["stream_index"] as? Int == streamIndex, (packet["flags"] as? String)?.hasPrefix("K") == true else { return nil }
            return number(packet["pts_time"])
        }.sorted()
    }

    /// ±90° from the display matrix side data (ffmpeg ≥ 5) or the older `rotate` tag.
    static func quarterTurn(_ stream: [String: Any]) -> Bool {
        var degrees: Double?
        for side in stream["side_data_list"] as? [[String: Any]] ?? [] {
            if let rotation = number(side["rotation"]) { degrees = rotation }
        }
        if degrees == nil, let tags = stream["tags"] as? [String: Any] { degrees = number(tags["rotate"]) }
        guard let degrees else { return false }
        let turns = Int((degrees / 90).rounded())
        return turns % 2 != 0
    }

    static func number(_ value: Any?) -> Double? {
        if let text = value as? String { return Double(text) }
        if let number = value as? NSNumber { return number.doubleValue }
        return nil
    }

    /// `30000/1001` or `1:1` → value; `0/0` → nil.
    static func ratio(_ value: Any?) -> Double? {
        guard let text = value as? String else { return nil }
        let parts = text.split(whereSeparator: { $0 == "/" || $0 == ":" })
        guard parts.count == 2, let numerator = Double(parts[0]), let denominator = Double(parts[1]), denominator != 0 else { return nil }
        return numerator / denominator
    }

    /// ffmpeg's stderr without the path prefix it repeats.
    static func toolMessage(_ error: String, path: String, fallback: String) -> String {
        let text = error.lastLines(3).replacingOccurrences(of: path + ": ", with: "")
        return text.isEmpty ? fallback : text
    }
}
