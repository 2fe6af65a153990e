import Foundation

/// Every failure of video probing, sampling and export, one line with the file and what went wrong.
public enum MediaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// ffmpeg or ffprobe could not be found or started.
    case toolMissing(name: String, reason: String)
    /// ffprobe could not read the file as media (missing, corrupt, truncated container, not media).
    case unreadable(path: String, reason: String)
    /// The file holds no decodable picture stream (audio only, or only cover art).
    case noVideoStream(path: String, streams: [String])
    case zeroDuration(path: String)
    /// ffmpeg failed while decoding, or its output did not have the expected shape.
    case decodingFailed(path: String, reason: String)
    /// Decoding ended long before the duration the container announces.
    case truncated(path: String, decodedSeconds: Double, duration: Double)
    case invalidTime(text: String)
    case invalidRange(start: Double, end: Double, reason: String)
    case exportFailed(path: String, reason: String)
    case thumbnailFailed(path: String, reason: String)
    /// A moment given on the command line (`argument`) that does not parse.
    case invalidMoment(argument: String, text: String, reason: String)

    public var description: String {
        switch self {
        case .toolMissing(let name, let reason):
            return "\(name) is needed for video (Debian: apt install ffmpeg): \(reason)"
        case .unreadable(let path, let reason):
            return "\(path): not a readable video: \(reason)"
        case .noVideoStream(let path, let streams):
            let found = streams.isEmpty ? "no streams" : streams.joined(separator: ", ")
            return "\(path): no video stream (found \(found))"
        case .zeroDuration(let path):
            return "\(path): the video has no duration (zero or unknown length)"
        case .decodingFailed(let path, let reason):
            return "\(path): decoding failed: \(reason)"
        case .truncated(let path, let decoded, let duration):
            return "\(path): truncated or corrupt: frames stop at \(String(format: "%.1f", decoded)) s of \(String(format: "%.1f", duration)) s"
        case .invalidTime(let text):
            return "invalid time '\(text)': expected seconds (12.5) or [hh:]mm:ss[.fff] (00:12:31)"
        case .invalidRange(let start, let end, let reason):
            return "invalid range \(VideoTime.format(start, fractional: true))–\(VideoTime.format(end, fractional: true)): \(reason)"
        case .exportFailed(let path, let reason):
            return "\(path): export failed: \(reason)"
        case .thumbnailFailed(let path, let reason):
            return "\(path): no thumbnail written: \(reason)"
        case .invalidMoment(let argument, let text, let reason):
            let shown = text.count > 80 ? text.prefix(77) + "..." : Substring(text)
            let oneLine = shown.replacingOccurrences(of: "\n", with: "⏎")
            return "\(argument) '\(oneLine)': \(reason)"
        }
    }
}

/// Parsing and printing of video times.
public enum VideoTime {
    /// Seconds from `12.5`, `2:03`, `00:12:31` or `1:02:03.250`.
    public static func parse(_ text: String) throws -> Double {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { throw MediaError.invalidTime(text: text) }
        var seconds = 0.0
        for (position, part) in parts.enumerated() {
            guard let value = Double(part), value.isFinite, value >= 0 else { throw MediaError.invalidTime(text: text) }
            // Minutes and seconds fields after the first one must be below 60.
            if position > 0 && value >= 60 { throw MediaError.invalidTime(text: text) }
            if position < parts.count - 1 && value != value.rounded() { throw MediaError.invalidTime(text: text) }
            seconds = seconds * 60 + value
        }
        return seconds
    }

    /// `00:12:31`, or `00:12:31.250` when the time is not a whole second (so text copied from a
    /// result keeps the exact cut points).
    public static func compact(_ seconds: Double) -> String {
        format(seconds, fractional: seconds.isFinite && (seconds * 1000).rounded() != (seconds.rounded() * 1000))
    }

    /// `00:12:31` (or `00:12:31.250` with `fractional`).
    public static func format(_ seconds: Double, fractional: Bool = false) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let milliseconds = Int((seconds * 1000).rounded())
        let whole = fractional ? milliseconds / 1000 : Int(seconds.rounded(.down))
        let text = String(format: "%02d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60)
        return fractional ? text + String(format: ".%03d", milliseconds % 1000) : text
    }
}
