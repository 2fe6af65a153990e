import ArgumentParser
import Foundation
import Media

struct ThumbnailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thumbnail",
        abstract: "Write the frame of a video at a time (a moment's peak) as a JPEG.",
        discussion: "  clip-search thumbnail holiday.mp4 --at 00:12:35 -o peak.jpg")

    @Argument(help: "The video.")
    var video: String

    @Option(help: "Time of the frame.")
    var at: TimeArgument

    @Option(name: [.customShort("o"), .long], help: "Output JPEG file.")
    var output: String

    @Option(help: "Width in pixels (aspect kept); default: the video's size.")
    var width: Int?

    func validate() throws {
        if let width, width < 2 { throw ValidationError("--width must be at least 2") }
    }

    func run() throws {
        try VideoExport(tools: try FFmpegTools.locate()).thumbnail(input: video, at: at.seconds, output: output, width: width)
        print("\(output): frame at \(VideoTime.format(at.seconds, fractional: true)) of \(video)")
    }
}
