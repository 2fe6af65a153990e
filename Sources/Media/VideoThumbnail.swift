import Foundation

extension VideoExport {
    /// A frame written by `thumbnail(input:at:output:width:)`.
    public struct Thumbnail: Sendable, Equatable {
        /// Time of the frame in the video: the first frame at or after the asked time, or the last one
        /// before it when the time is at the very end.
        public var time: Double
        /// ffmpeg's decoding complaint when the stream is damaged but the picture came out.
        public var warning: String?
    }

    /// Writes the frame shown at `time` as a JPEG at the display size (`width` pixels wide when given,
    /// aspect kept). The file appears only when a frame was written.
    @discardableResult
    public func thumbnail(input: String, at time: Double, output: String, width: Int? = nil) throws -> Thumbnail {
        let info = try VideoProbe(tools: tools).probe(path: input)
        guard time >= 0, time <= info.duration else {
            throw MediaError.invalidRange(start: time, end: time, reason: "outside the video (0–\(VideoTime.format(info.duration, fractional: true)))")
        }
        let seek = try checkedInputSeek(Self.inputSeek(for: time, lead: Self.seekLead(info)), before: time, input: input, info: info)
        let partial = try PartialFile(output: output, failure: { MediaError.thumbnailFailed(path: output, reason: $0) })
        defer { partial.discard() }
        // Square pixels: an anamorphic frame is stretched to the size it is shown at.
        var scale = "scale=w='max(1,round(iw*sar))':h=ih,setsar=1"
        if let width { scale += ",scale=\(width):-2" }

        func grab(_ selection: String, lastFrame: Bool) throws -> (time: Double?, status: Int32, problems: String) {
            var arguments = ["-hide_banner", "-nostdin", "-loglevel", "level+info", "-y"]
            if seek > 0 { arguments += ["-ss", VideoFrameSampler.number(seek)] }
            arguments += ["-i", input, "-map", "0:\(info.streamIndex)", "-vf", "\(selection),showinfo,\(scale)"]
            // With -update every frame overwrites the file, so the last one before the end stays.
            if !lastFrame { arguments += ["-frames:v", "1"] }
            arguments += ["-q:v", "2", "-f", "image2", "-update", "1", "-c:v", "mjpeg", partial.path]
            let result = try FFmpegTools.run(tools.ffmpeg, arguments)
            let times = LeveledLog.frameTimes(result.error)
            return ((lastFrame ? times.last : times.first).map { seek + $0 }, result.status, LeveledLog.problems(result.error))
        }
        let offset = time - seek
        var attempt = try grab("trim=start=\(VideoFrameSampler.number(offset))", lastFrame: false)
        if attempt.time == nil {
            // Past the last frame's start (the end of a clip) no frame is at or after `time`.
            attempt = try grab("trim=end=\(VideoFrameSampler.number(offset + 0.001))", lastFrame: true)
        }
        let problems = VideoProbe.toolMessage(attempt.problems.replacingOccurrences(of: partial.path, with: output), path: input, fallback: "")
        // ffmpeg exits non-zero on a damaged stream even when the frame decoded: the JPEG decides.
        guard let frameTime = attempt.time, Self.isJPEG(partial.path) else {
            throw MediaError.thumbnailFailed(path: output, reason: problems.isEmpty
                ? "ffmpeg wrote no frame at or before \(VideoTime.format(time, fractional: true)) (exit status \(attempt.status))" : problems)
        }
        try partial.keep()
        let warning = attempt.status == 0 ? nil : (problems.isEmpty ? "ffmpeg exit status \(attempt.status)" : problems)
        return Thumbnail(time: min(max(frameTime, 0), info.duration), warning: warning)
    }

    static func isJPEG(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 3)).map(Array.init) == [0xFF, 0xD8, 0xFF]
    }
}
