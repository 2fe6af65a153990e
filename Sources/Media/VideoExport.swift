import Foundation

/// Cutting segments and grabbing frames with the ffmpeg CLI.
public struct VideoExport: Sendable {
    public enum CutMode: String, Sendable, CaseIterable {
        /// Re-encode (H.264 `veryfast` CRF 20, AAC): frame-accurate start and end, plays everywhere,
        /// costs about the decoding time of the segment. The default.
        case reencode
        /// Stream copy: instant and lossless, but the cut starts at the key frame before `start`
        /// (players show from there), and the source codec must fit the output container.
        case copy
    }

    public let tools: FFmpegTools

    public init(tools: FFmpegTools) {
        self.tools = tools
    }

    public static func cutArguments(input: String, start: Double, end: Double, output: String, mode: CutMode) -> [String] {
        let seek = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-ss", VideoFrameSampler.number(start), "-i", input,
                    "-t", VideoFrameSampler.number(end - start), "-map", "0:v:0", "-map", "0:a:0?"]
        switch mode {
        case .reencode:
            return seek + ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                           "-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart", output]
        case .copy:
            return seek + ["-c", "copy", "-avoid_negative_ts", "make_zero", output]
        }
    }

    /// Writes `start`–`end` of `input` to `output` (container from its extension). Returns the
    /// duration ffprobe reads back from the written file.
    @discardableResult
    public func cut(input: String, start: Double, end: Double, output: String, mode: CutMode = .reencode) throws -> Double {
        let info = try VideoProbe(tools: tools).probe(path: input)
        guard start >= 0, end > start else { throw MediaError.invalidRange(start: start, end: end, reason: "the end must be after the start") }
        guard start < info.duration else {
            throw MediaError.invalidRange(start: start, end: end, reason: "the video is only \(VideoTime.format(info.duration, fractional: true)) long")
        }
        let result = try FFmpegTools.run(tools.ffmpeg, Self.cutArguments(input: input, start: start, end: min(end, info.duration), output: output, mode: mode))
        guard result.status == 0 else {
            throw MediaError.exportFailed(path: output, reason: VideoProbe.toolMessage(result.error, path: input, fallback: "ffmpeg exit status \(result.status)"))
        }
        do {
            return try VideoProbe(tools: tools).probe(path: output).duration
        } catch {
            throw MediaError.exportFailed(path: output, reason: "the written file does not read back: \(error)")
        }
    }

    /// Writes the frame shown at `time` as a JPEG (`width` pixels wide when given, aspect kept).
    public func thumbnail(input: String, at time: Double, output: String, width: Int? = nil) throws {
        let info = try VideoProbe(tools: tools).probe(path: input)
        guard time >= 0, time <= info.duration else {
            throw MediaError.invalidRange(start: time, end: time, reason: "outside the video (0–\(VideoTime.format(info.duration, fractional: true)))")
        }
        var arguments = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-ss", VideoFrameSampler.number(time), "-i", input,
                         "-map", "0:\(info.streamIndex)", "-frames:v", "1", "-q:v", "2"]
        if let width { arguments += ["-vf", "scale=\(width):-2"] }
        arguments += ["-f", "image2", "-c:v", "mjpeg", output]
        let result = try FFmpegTools.run(tools.ffmpeg, arguments)
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        guard result.status == 0, size > 0 else {
            // Seeking into the last fraction of a second can yield no frame: retry slightly earlier.
            if result.status == 0 && time > 0.5 {
                return try thumbnail(input: input, at: max(0, time - 0.5), output: output, width: width)
            }
            throw MediaError.exportFailed(path: output, reason: VideoProbe.toolMessage(result.error, path: input, fallback: "ffmpeg wrote no frame"))
        }
    }
}
