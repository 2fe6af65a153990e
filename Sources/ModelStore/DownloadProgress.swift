import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Receives download events; the store calls it from one thread at a time.
public protocol DownloadProgressReporter: Sendable {
    func started(file: String, totalBytes: Int64?, resumedFrom: Int64)
    func advanced(file: String, receivedBytes: Int64, totalBytes: Int64?)
    func finished(file: String, bytes: Int64)
    func note(_ message: String)
}

public struct SilentProgressReporter: DownloadProgressReporter {
    public init() {}
    public func started(file: String, totalBytes: Int64?, resumedFrom: Int64) {}
    public func advanced(file: String, receivedBytes: Int64, totalBytes: Int64?) {}
    public func finished(file: String, bytes: Int64) {}
    public func note(_ message: String) {}
}

/// Progress on standard error: one rewritten line on a terminal, occasional plain lines otherwise
/// (logs and CI should not fill up with carriage returns).
public final class StandardErrorProgressReporter: DownloadProgressReporter, @unchecked Sendable {
    private let isTerminal: Bool
    private let lock = NSLock()
    private var startTime = Date()
    private var resumedFrom: Int64 = 0
    private var lastPrint = Date.distantPast
    private var lastPlainFraction = -1

    public init(isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.isTerminal = isTerminal
    }

    public func started(file: String, totalBytes: Int64?, resumedFrom: Int64) {
        lock.lock(); defer { lock.unlock() }
        startTime = Date()
        self.resumedFrom = resumedFrom
        lastPrint = .distantPast
        lastPlainFraction = -1
        let size = totalBytes.map { " (\(Self.bytes($0)))" } ?? ""
        let resume = resumedFrom > 0 ? ", resuming at \(Self.bytes(resumedFrom))" : ""
        write("downloading \(file)\(size)\(resume)\n")
    }

    public func advanced(file: String, receivedBytes: Int64, totalBytes: Int64?) {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        let elapsed = now.timeIntervalSince(startTime)
        let rate = elapsed > 0 ? Double(receivedBytes - resumedFrom) / elapsed : 0
        var line = "  \(file): \(Self.bytes(receivedBytes))"
        if let totalBytes, totalBytes > 0 {
            let percent = Int(Double(receivedBytes) * 100 / Double(totalBytes))
            line += " / \(Self.bytes(totalBytes)) (\(percent)%)"
            if rate > 0 { line += ", \(Self.bytes(Int64(rate)))/s, ETA \(Self.duration(Double(totalBytes - receivedBytes) / rate))" }
        } else if rate > 0 {
            line += ", \(Self.bytes(Int64(rate)))/s"
        }
        if isTerminal {
            guard now.timeIntervalSince(lastPrint) >= 0.1 else { return }
            lastPrint = now
            write("\r\u{1B}[K" + line)
        } else {
            // Plain output: a line per 10% (or every 10 s when the size is unknown).
            if let totalBytes, totalBytes > 0 {
                let tenth = Int(Double(receivedBytes) * 10 / Double(totalBytes))
                guard tenth > lastPlainFraction, tenth < 10 else { return }
                lastPlainFraction = tenth
            } else {
                guard now.timeIntervalSince(lastPrint) >= 10 else { return }
                lastPrint = now
            }
            write(line + "\n")
        }
    }

    public func finished(file: String, bytes: Int64) {
        lock.lock(); defer { lock.unlock() }
        let elapsed = Date().timeIntervalSince(startTime)
        let rate = elapsed > 0 ? " at \(Self.bytes(Int64(Double(bytes - resumedFrom) / elapsed)))/s" : ""
        write((isTerminal ? "\r\u{1B}[K" : "") + "  \(file): \(Self.bytes(bytes)) done in \(Self.duration(elapsed))\(rate)\n")
    }

    public func note(_ message: String) {
        lock.lock(); defer { lock.unlock() }
        write(message + "\n")
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// 1000-based units, as the hub's web pages show sizes.
    public static func bytes(_ count: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let whole = Int(seconds.rounded())
        if whole < 60 { return String(format: "%.1fs", seconds) }
        if whole < 3600 { return "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h\(String(format: "%02d", (whole % 3600) / 60))m"
    }
}
