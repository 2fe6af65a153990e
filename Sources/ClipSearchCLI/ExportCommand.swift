import ArgumentParser
import Foundation
import Media

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Cut a segment of a video (a search moment) into a new file with ffmpeg.",
        discussion: """
            Times are seconds (75.5) or [hh:]mm:ss[.fff] (00:01:15.5), as `search` prints them. The default \
            re-encodes (H.264 + AAC): the cut is frame-accurate and plays everywhere. --mode copy copies the \
            streams: instant and lossless, but the clip starts at the key frame before --start.
              clip-search export holiday.mp4 --start 00:12:31 --end 00:12:44 -o beach.mp4
            """)

    @Argument(help: "The video to cut.")
    var video: String

    @Option(help: "Segment start.")
    var start: TimeArgument

    @Option(help: "Segment end.")
    var end: TimeArgument

    @Option(name: [.customShort("o"), .long], help: "Output file (its extension picks the container, e.g. .mp4).")
    var output: String

    @Option(help: "reencode (frame-accurate) or copy (fast, starts at a key frame).")
    var mode: VideoExport.CutMode = .reencode

    func validate() throws {
        guard end.seconds > start.seconds else { throw ValidationError("--end must be after --start") }
    }

    func run() throws {
        let duration = try VideoExport(tools: try FFmpegTools.locate()).cut(
            input: video, start: start.seconds, end: end.seconds, output: output, mode: mode)
        print("\(output): \(String(format: "%.2f", duration)) s from \(video) @ "
              + VideoTime.format(start.seconds, fractional: true) + "–" + VideoTime.format(end.seconds, fractional: true))
    }
}
