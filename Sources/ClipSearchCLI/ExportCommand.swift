import ArgumentParser
import Foundation
import Media

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Cut a segment of a video (a search moment) into a new file with ffmpeg.",
        discussion: """
            Name the segment with a video and times, with a moment copied from `search` (its table text or its \
            --json result), or with a query run on the spot. Times are seconds (75.5) or [hh:]mm:ss[.fff]. The \
            default re-encodes (H.264 + AAC; VP9 + Opus for .webm): the cut is frame-accurate and plays everywhere. --mode copy copies \
            the streams: instant and lossless, but the clip starts at the key frame before the start.
              clip-search export holiday.mp4 --start 00:12:31 --end 00:12:44 -o beach.mp4
              clip-search export --moment '/videos/holiday.mp4 @ 00:12:31–00:12:44' -o beach.mp4
              clip-search search beach --type video --json | clip-search export --moment - --rank 2 -o beach.mp4
              clip-search export --query "a dog on a beach" --pad 1 -o dog.mp4
            """)

    @Argument(help: "The video to cut (with --start and --end).")
    var video: String?

    @Option(help: "Segment start.")
    var start: TimeArgument?

    @Option(help: "Segment end.")
    var end: TimeArgument?

    @OptionGroup var selection: MomentSelection

    @Option(help: "Seconds added before and after the segment.")
    var pad: Double = 0

    @Option(name: [.customShort("o"), .long], help: "Output file (its extension picks the container, e.g. .mp4).")
    var output: String

    @Option(help: "reencode (frame-accurate) or copy (fast, starts at a key frame).")
    var mode: VideoExport.CutMode = .reencode

    func validate() throws {
        try validateSource(video: video, times: [start, end], timeNames: "--start and --end", selection: selection)
        guard pad >= 0, pad.isFinite else { throw ValidationError("--pad must be a non-negative number of seconds") }
        if let start, let end { guard end.seconds > start.seconds else { throw ValidationError("--end must be after --start") } }
    }

    func run() throws {
        let moment = try selection.isGiven ? selection.resolve()
            : MomentReference(path: video ?? "", start: start?.seconds ?? 0, end: end?.seconds ?? 0)
        let (from, to) = (max(0, moment.start - pad), moment.end + pad)
        let segment = try VideoExport(tools: try FFmpegTools.locate()).cut(
            input: moment.path, start: from, end: to, output: output, mode: mode)
        print("\(output): \(String(format: "%.2f", segment.duration)) s from \(moment.path) @ "
              + VideoTime.format(segment.start, fractional: true) + "–" + VideoTime.format(segment.start + segment.duration, fractional: true))
    }
}

/// A video command takes either a video with explicit times or a moment selection, not both.
func validateSource(video: String?, times: [TimeArgument?], timeNames: String, selection: MomentSelection) throws {
    let explicit = video != nil || times.contains { $0 != nil }
    if selection.isGiven {
        guard !explicit else { throw ValidationError("give either a video with \(timeNames), or --moment/--query, not both") }
    } else {
        guard video != nil else { throw ValidationError("give a video with \(timeNames), or --moment/--query") }
        guard times.allSatisfy({ $0 != nil }) else { throw ValidationError("\(timeNames) are needed with a video") }
    }
}
