import Foundation

/// Cutting segments and grabbing frames with the ffmpeg CLI.
public struct VideoExport: Sendable {
    public enum CutMode: String, Sendable, CaseIterable {
        /// Re-encode (H.264 `veryfast` CRF 20 + AAC; VP9 + Opus for .webm): frame-accurate start and end,
        /// plays everywhere, costs about the decoding time of the segment. The default.
        case reencode
        /// Stream copy: instant and lossless, but the cut starts at the key frame before `start`
        /// (players show from there), and the source codec must fit the output container.
        case copy
    }

    /// What was written: where the segment starts in the source and how long the file reads back.
    public struct Segment: Sendable, Equatable {
        public var start: Double
        public var duration: Double
    }

    public let tools: FFmpegTools

    public init(tools: FFmpegTools) {
        self.tools = tools
    }

    /// Seconds the input seek goes before a wanted time. An input `-ss` is a demuxer seek: MPEG-TS
    /// lands on the key frame *after* it, so it must aim a key-frame interval early, and the exact time
    /// comes from an output-side `-ss` (decoding the lead costs a fraction of a second).
    static func seekLead(_ info: VideoInfo) -> Double {
        let gaps = zip(info.keyframeTimes, info.keyframeTimes.dropFirst()).map { $1 - $0 }
        return min(30, max(5, 2 * (gaps.max() ?? 0)))
    }

    /// Input seek for `time`: the lead before it, or 0 (no seek at all) within the lead of the start.
    static func inputSeek(for time: Double, lead: Double) -> Double {
        max(0, time - lead)
    }

    /// `seek` unless the demuxer landed after `time` there (key frames sparser than the lead); then 0.
    func checkedInputSeek(_ seek: Double, before time: Double, input: String, info: VideoInfo) throws -> Double {
        guard seek > 0 else { return 0 }
        let result = try FFmpegTools.run(tools.ffmpeg, ["-hide_banner", "-nostdin", "-loglevel", "level+info", "-ss", VideoFrameSampler.number(seek),
                                                        "-i", input, "-map", "0:\(info.streamIndex)", "-frames:v", "1", "-vf", "showinfo", "-f", "null", "-"])
        guard let first = LeveledLog.frameTimes(result.error).first else { return 0 }
        return seek + first <= time + 0.001 ? seek : 0
    }

    /// The codec options for the output container (`output`'s extension).
    static func encoderArguments(output: String) -> [String] {
        switch (output as NSString).pathExtension.lowercased() {
        case "webm":
            // WebM holds only VP8/VP9/AV1 and Vorbis/Opus; realtime VP9 keeps the cut about as fast as x264 veryfast.
            return ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1", "-crf", "32", "-b:v", "0",
                    "-pix_fmt", "yuv420p", "-c:a", "libopus", "-b:a", "128k"]
        case let container:
            let video = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "160k"]
            return ["mp4", "m4v", "mov"].contains(container) ? video + ["-movflags", "+faststart"] : video
        }
    }

    /// Square pixels at the display size (anamorphic sources), even sides (yuv420p encoders refuse odd ones).
    static let evenDisplaySize = "scale=w='max(2,round(iw*sar/2)*2)':h='max(2,round(ih/2)*2)',setsar=1"

    /// ffmpeg arguments for `start`–`end`: `inputSeek` is where the demuxer seeks (at or before
    /// `start`), the rest is skipped exactly on the output side.
    public static func cutArguments(input: String, start: Double, end: Double, output: String, mode: CutMode,
                                    streamIndex: Int = 0, inputSeek: Double = 0) -> [String] {
        var arguments = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
        if inputSeek > 0 { arguments += ["-ss", VideoFrameSampler.number(inputSeek)] }
        arguments += ["-i", input, "-ss", VideoFrameSampler.number(start - inputSeek), "-t", VideoFrameSampler.number(end - start),
                      "-map", "0:\(streamIndex)", "-map", "0:a:0?"]
        switch mode {
        case .reencode:
            return arguments + ["-vf", evenDisplaySize] + encoderArguments(output: output) + [output]
        case .copy:
            return arguments + ["-c", "copy", "-avoid_negative_ts", "make_zero", output]
        }
    }

    /// Writes `start`–`end` of `input` to `output` (container from its extension). The file appears
    /// only when complete: ffmpeg writes a temporary name in the same folder that is renamed on success.
    @discardableResult
    public func cut(input: String, start: Double, end: Double, output: String, mode: CutMode = .reencode) throws -> Segment {
        let info = try VideoProbe(tools: tools).probe(path: input)
        guard start >= 0, end > start else { throw MediaError.invalidRange(start: start, end: end, reason: "the end must be after the start") }
        guard start < info.duration else {
            throw MediaError.invalidRange(start: start, end: end, reason: "the video is only \(VideoTime.format(info.duration, fractional: true)) long")
        }
        // A stream copy can only begin on a key frame: the one at or before `start`, found exactly.
        let from = mode == .copy ? try keyFrame(atOrBefore: start, input: input, info: info) : start
        let seek = try checkedInputSeek(Self.inputSeek(for: from, lead: Self.seekLead(info)), before: from, input: input, info: info)
        let partial = try PartialFile(output: output, failure: { MediaError.exportFailed(path: output, reason: $0) })
        defer { partial.discard() }
        // A copy's output `-ss` must not drop the key frame itself to rounding.
        let outputStart = mode == .copy ? max(seek, from - 0.001) : from
        let result = try FFmpegTools.run(tools.ffmpeg, Self.cutArguments(
            input: input, start: outputStart, end: min(end, info.duration) - (from - outputStart), output: partial.path, mode: mode,
            streamIndex: info.streamIndex, inputSeek: seek))
        guard result.status == 0 else {
            let message = VideoProbe.toolMessage(result.error, path: input, fallback: "ffmpeg exit status \(result.status)")
            throw MediaError.exportFailed(path: output, reason: message.replacingOccurrences(of: partial.path, with: output))
        }
        let duration: Double
        do {
            duration = try VideoProbe(tools: tools).probe(path: partial.path).duration
        } catch {
            throw MediaError.exportFailed(path: output, reason: "the written file does not read back: \(error)"
                .replacingOccurrences(of: partial.path, with: output))
        }
        try partial.keep()
        return Segment(start: from, duration: duration)
    }

    /// The latest key frame at or before `time` (seconds from the start), from ffprobe's packet flags
    /// (demuxing only); 0 when none is found.
    func keyFrame(atOrBefore time: Double, input: String, info: VideoInfo) throws -> Double {
        var lead = Self.seekLead(info)
        while true {
            let from = max(0, time - lead)
            let interval = from > 0 ? "\(VideoFrameSampler.number(info.startTime + from))%\(VideoFrameSampler.number(info.startTime + time + 0.001))"
                : "%\(VideoFrameSampler.number(info.startTime + time + 0.001))"
            let result = try FFmpegTools.run(tools.ffprobe, ["-v", "error", "-select_streams", "\(info.streamIndex)", "-read_intervals", interval,
                                                             "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", "--", input])
            let keyFrames = String(decoding: result.output, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { line -> Double? in
                let fields = line.split(separator: ",")
                guard fields.count >= 2, fields[1].hasPrefix("K"), let pts = Double(fields[0]) else { return nil }
                return pts - info.startTime
            }.filter { $0 <= time + 0.001 }
            if let latest = keyFrames.max() { return max(0, latest) }
            if from == 0 { return 0 }
            lead *= 4
        }
    }
}

/// A file ffmpeg writes under a temporary name next to its destination, so a failed or interrupted
/// run never leaves a partial file under the name the user gave.
final class PartialFile {
    let output: String
    let path: String
    private let failure: (String) -> MediaError
    private var kept = false

    init(output: String, failure: @escaping (String) -> MediaError) throws {
        self.output = output
        self.failure = failure
        let url = URL(fileURLWithPath: output)
        let name = url.deletingPathExtension().lastPathComponent
        let suffix = url.pathExtension.isEmpty ? "" : "." + url.pathExtension
        // The extension stays last: ffmpeg picks the container from it.
        path = url.deletingLastPathComponent().appendingPathComponent(".\(name).partial-\(UUID().uuidString.prefix(8))\(suffix)").path
    }

    func keep() throws {
        do {
            if FileManager.default.fileExists(atPath: output) { try FileManager.default.removeItem(atPath: output) }
            try FileManager.default.moveItem(atPath: path, toPath: output)
            kept = true
        } catch {
            throw failure("cannot move the written file into place: \(error.localizedDescription)")
        }
    }

    func discard() {
        if !kept { try? FileManager.default.removeItem(atPath: path) }
    }
}
