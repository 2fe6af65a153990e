import Foundation

/// Where the ffmpeg and ffprobe executables are: `$CLIPSEARCH_FFMPEG` / `$CLIPSEARCH_FFPROBE`, else `PATH`.
public struct FFmpegTools: Sendable, Equatable {
    public var ffmpeg: String
    public var ffprobe: String

    public init(ffmpeg: String, ffprobe: String) {
        self.ffmpeg = ffmpeg
        self.ffprobe = ffprobe
    }

    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> FFmpegTools {
        FFmpegTools(ffmpeg: try find("ffmpeg", override: environment["CLIPSEARCH_FFMPEG"], environment: environment),
                    ffprobe: try find("ffprobe", override: environment["CLIPSEARCH_FFPROBE"], environment: environment))
    }

    static func find(_ name: String, override: String?, environment: [String: String]) throws -> String {
        if let override, !override.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: override) else {
                throw MediaError.toolMissing(name: name, reason: "\(override) is not an executable file")
            }
            return override
        }
        let folders = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for folder in folders {
            let candidate = String(folder) + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw MediaError.toolMissing(name: name, reason: "not found in PATH")
    }

    /// Runs a tool to completion with stdin closed and returns its exit status and captured output.
    /// Both pipes are drained concurrently so a chatty tool cannot block on a full pipe.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: Data, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw MediaError.toolMissing(name: (executable as NSString).lastPathComponent, reason: "cannot start \(executable): \(error.localizedDescription)")
        }
        let errorBox = LockedBox(Data())
        let errorReader = Thread {
            errorBox.set(error.fileHandleForReading.readDataToEndOfFile())
        }
        errorReader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorBox.isSet { usleep(1000) }
        return (process.terminationStatus, outputData, String(decoding: errorBox.value, as: UTF8.self))
    }
}

/// A value handed from one thread to another.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    private var wasSet = false

    init(_ value: Value) { stored = value }

    var value: Value { lock.withLock { stored } }
    var isSet: Bool { lock.withLock { wasSet } }

    func set(_ value: Value) {
        lock.withLock {
            stored = value
            wasSet = true
        }
    }
}

extension String {
    /// The last non-empty lines of a tool's stderr, for error messages.
    func lastLines(_ count: Int) -> String {
        let lines = split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.suffix(count).joined(separator: "; ")
    }
}

/// Reading ffmpeg's stderr when it runs with `-loglevel level+info` (every line tagged `[error]`,
/// `[info]`, …) and a `showinfo` filter.
enum LeveledLog {
    /// `pts_time` of each frame `showinfo` printed, in order.
    static func frameTimes(_ text: String) -> [Double] {
        text.split(whereSeparator: \.isNewline).compactMap { line -> Double? in
            guard line.contains("showinfo"), let range = line.range(of: "pts_time:") else { return nil }
            return Double(line[range.upperBound...].prefix { !$0.isWhitespace })
        }
    }

    /// The error and fatal lines without their level tags, for messages.
    static func problems(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).filter { $0.contains("[error]") || $0.contains("[fatal]") }
            .map { $0.replacingOccurrences(of: "[error] ", with: "").replacingOccurrences(of: "[fatal] ", with: "") }
            .joined(separator: "\n")
    }
}
