import ArgumentParser
import Foundation
import Media

struct ThumbnailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thumbnail",
        abstract: "Write the frame of a video at a time (a moment's peak) as a JPEG.",
        discussion: """
            With --moment or --query the frame is the moment's peak (its middle when the pasted text has no peak).
              clip-search thumbnail holiday.mp4 --at 00:12:35 -o peak.jpg
              clip-search thumbnail --moment '/videos/holiday.mp4 @ 00:12:31–00:12:44 (peak 00:12:35)' -o peak.jpg
            """)

    @Argument(help: "The video (with --at).")
    var video: String?

    @Option(help: "Time of the frame.")
    var at: TimeArgument?

    @OptionGroup var selection: MomentSelection

    @Option(name: [.customShort("o"), .long], help: "Output JPEG file.")
    var output: String

    @Option(help: "Width in pixels (aspect kept); default: the video's size.")
    var width: Int?

    func validate() throws {
        try validateSource(video: video, times: [at], timeNames: "--at", selection: selection)
        if let width, width < 2 { throw ValidationError("--width must be at least 2") }
    }

    func run() throws {
        var (path, time) = (video ?? "", at?.seconds ?? 0)
        if selection.isGiven {
            let moment = try selection.resolve()
            (path, time) = (moment.path, moment.representativeTime)
        }
        let frame = try VideoExport(tools: try FFmpegTools.locate()).thumbnail(input: path, at: time, output: output, width: width)
        if let warning = frame.warning { standardError("warning: \(path): damaged stream, the frame may show errors: \(warning)") }
        print("\(output): frame at \(VideoTime.format(frame.time, fractional: true)) of \(path)")
    }
}
