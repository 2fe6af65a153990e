import Foundation
import ImageCodecs
import Prefetching

/// How much of the stream ffmpeg decodes: the main speed-for-recall trade-off.
public enum DecodingMode: String, Sendable, CaseIterable {
    /// Every frame, exact sampling times.
    case full
    /// B-frames are not decoded (`-skip_frame bidir`) and the deblocking filter is skipped: ~2.5×
    /// faster on typical H.264. Samples land on the nearest I/P frame (times stay exact, a few
    /// hundredths of a second later than the grid). Streams made only of B-frames (some HEVC) decode
    /// nothing this way: callers fall back to `.full` (VideoIndexer does).
    case fast
    /// Key frames only (`-skip_frame nokey`): ~10–20× faster, but a sample only every GOP (often
    /// 2–10 s) and shot changes only seen at key frames.
    case keyframes
}

public struct SamplingOptions: Sendable, Equatable {
    /// Seconds between samples.
    public var interval: Double = 1
    /// ffmpeg scene score (0–1) above which a frame is also sampled as a shot change; nil: none.
    public var sceneThreshold: Double? = 0.3
    /// Frames are scaled so their short side is this many pixels (the model's resize target), so the
    /// preprocessor's own resize is nearly the identity and the pipe carries little data.
    public var shortSide: Int = 224
    public var decoding: DecodingMode = .full
    /// Decoder threads; 0 lets ffmpeg choose (one per core).
    public var threads: Int = 0
    /// Frames decoded ahead of the consumer.
    public var bufferedFrames: Int = 48

    public init() {}
}

/// One sampled frame: its presentation time in seconds from the start and its pixels.
public struct VideoFrame: Sendable {
    public var time: Double
    public var image: RGBImage
}

public struct SamplingSummary: Sendable, Equatable {
    public var frameCount: Int
    public var lastTime: Double
    /// True when `shouldStop` ended sampling early.
    public var stopped: Bool
    /// The decoding actually used (see `VideoFrameSampler.plan`).
    public var decoding: DecodingMode
}

/// One sampling run's decoding and the least time between two grid samples.
public struct SamplingPlan: Sendable, Equatable {
    public var decoding: DecodingMode
    public var spacing: Double
    /// The widest key-frame gap, when `.fast` became key-frame decoding.
    public var keyframeGap: Double?

    public init(decoding: DecodingMode, spacing: Double, keyframeGap: Double? = nil) {
        self.decoding = decoding
        self.spacing = spacing
        self.keyframeGap = keyframeGap
    }
}

/// Samples frames of a video by streaming raw RGB24 from an ffmpeg subprocess.
///
/// A `select` filter keeps one frame per interval plus frames whose scene score exceeds the
/// threshold; a `showinfo` filter after it prints each kept frame's exact presentation time on
/// stderr, which is matched to the n-th frame read from stdout. A reader thread decodes ahead into a
/// bounded queue, so ffmpeg works while the caller embeds and memory stays at a few dozen frames.
public struct VideoFrameSampler: Sendable {
    public let tools: FFmpegTools
    public var options: SamplingOptions

    public init(tools: FFmpegTools, options: SamplingOptions = SamplingOptions()) {
        self.tools = tools
        self.options = options
    }

    /// Output frame size: the short side at `options.shortSide`, the display aspect kept.
    public func outputSize(for info: VideoInfo) -> (width: Int, height: Int) {
        let short = max(1, options.shortSide)
        let (width, height) = (max(1, info.displayWidth), max(1, info.displayHeight))
        if width <= height {
            return (short, max(short, Int((Double(height) * Double(short) / Double(width)).rounded())))
        }
        return (max(short, Int((Double(width) * Double(short) / Double(height)).rounded())), short)
    }

    public func arguments(path: String, info: VideoInfo, plan: SamplingPlan? = nil) -> [String] {
        let plan = plan ?? SamplingPlan(decoding: options.decoding, spacing: options.interval)
        let size = outputSize(for: info)
        var select = "isnan(prev_selected_t)+gte(t-prev_selected_t,\(Self.number(plan.spacing)))"
        if let threshold = options.sceneThreshold { select += "+gt(scene,\(Self.number(threshold)))" }
        var input = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-threads", "\(max(0, options.threads))"]
        switch plan.decoding {
        case .full: break
        case .fast: input += ["-skip_frame", "bidir", "-skip_loop_filter", "all", "-flags2", "fast"]
        case .keyframes:
            // Without B-frames the demuxer can drop the other packets too (`-discard`, where the container
            // supports it): consecutive packets are then key frames and ffmpeg's frame threads decode them
            // side by side, the same frames in about half the wall time on 2 cores. With B-frames the
            // decoder's reorder delay would pair the remaining frames with the wrong timestamps.
            if info.reorderDelay == 0 { input += ["-discard", "nokey"] }
            input += ["-skip_frame", "nokey"]
        }
        return input + ["-an", "-sn", "-dn", "-i", path, "-map", "0:\(info.streamIndex)",
                        "-vf", "select='\(select)',scale=\(size.width):\(size.height):flags=area,format=rgb24,showinfo",
                        "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    }

    /// How `sample` decodes this video. In `.fast` mode, a video whose key frames are at most one
    /// interval apart (phone cameras write one every 1–2 s, without B-frames, so skipping B-frames
    /// saves nothing) decodes key frames only: the same samples a grid would pick, at a fraction of
    /// the decoding cost (~5× less CPU on 16 Mbit/s 1080p). Judged on the key frames of the first
    /// `VideoProbe.keyframeWindow` seconds; when they are irregular or sparse, `.fast` stays.
    public func plan(for info: VideoInfo) -> SamplingPlan {
        let fast = SamplingPlan(decoding: options.decoding, spacing: options.interval)
        let keys = info.keyframeTimes
        guard options.decoding == .fast, keys.count >= 3, let last = keys.last, let first = keys.first else { return fast }
        let window = first + min(info.duration, VideoProbe.keyframeWindow)
        let gaps = zip(keys.dropFirst(), keys).map { $0 - $1 } + [max(0, window - last)]
        guard let widest = gaps.max(), let narrowest = gaps.dropLast().min(), narrowest > 0,
              widest <= options.interval + 0.002 else { return fast }
        // Half the narrowest gap of slack, so a key frame a hair early for the grid is not skipped
        // (which would double the spacing), while every `interval` still yields one sample.
        return SamplingPlan(decoding: .keyframes, spacing: max(0, options.interval - narrowest / 2), keyframeGap: widest)
    }

    /// Calls `body` with each sampled frame in time order. Throws `MediaError` for decoding failures,
    /// and `.truncated` when frames stop well before the probed duration.
    public func sample(path: String, info: VideoInfo, shouldStop: () -> Bool = { false },
                       _ body: (VideoFrame) throws -> Void) throws -> SamplingSummary {
        let size = outputSize(for: info)
        let frameBytes = size.width * size.height * 3
        let plan = plan(for: info)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tools.ffmpeg)
        process.arguments = arguments(path: path, info: info, plan: plan)
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw MediaError.toolMissing(name: "ffmpeg", reason: "cannot start \(tools.ffmpeg): \(error.localizedDescription)")
        }
        let log = FFmpegLog()
        let errorReader = Thread { log.consume(errors.fileHandleForReading) }
        errorReader.start()

        let outputDescriptor = output.fileHandleForReading.fileDescriptor
        let interval = options.interval
        var count = 0, lastTime = 0.0, stopped = false
        var failure: Error?
        do {
            // A reader thread decodes ahead; ffmpeg is stopped before `run` waits for that thread,
            // which drains the pipe until ffmpeg exits so that ffmpeg never blocks on a full pipe.
            try Prefetch.run(capacity: options.bufferedFrames, produce: { push in
                var index = 0
                var buffer = [UInt8](repeating: 0, count: frameBytes)
                var delivering = true
                while true {
                    let filled = buffer.withUnsafeMutableBytes { Self.readFully(outputDescriptor, into: $0) }
                    if filled == 0 { break }
                    guard filled == frameBytes else {
                        if delivering { throw MediaError.decodingFailed(path: path, reason: "stream ended inside frame \(index) (\(filled) of \(frameBytes) bytes)") }
                        break
                    }
                    guard delivering else { continue }
                    let time = log.time(ofFrame: index) ?? (index == 0 ? 0 : Double(index) * interval)
                    if let image = RGBImage(width: size.width, height: size.height, pixels: buffer) {
                        do { try push(VideoFrame(time: time, image: image)) } catch { delivering = false }
                    }
                    index += 1
                }
            }, consume: { frame in
                if shouldStop() {
                    stopped = true
                    process.terminate()
                    return false
                }
                do {
                    try body(frame)
                } catch {
                    process.terminate()
                    throw error
                }
                count += 1
                lastTime = frame.time
                return true
            })
        } catch {
            failure = error
            process.terminate()
        }
        process.waitUntilExit()
        log.waitUntilClosed()
        if let failure { throw failure }
        if stopped { return SamplingSummary(frameCount: count, lastTime: lastTime, stopped: true, decoding: plan.decoding) }
        let status = process.terminationStatus
        guard status == 0 else {
            throw MediaError.decodingFailed(path: path, reason: VideoProbe.toolMessage(log.messages, path: path, fallback: "ffmpeg exit status \(status)"))
        }
        guard count > 0 else {
            let message = log.messages.lastLines(2)
            throw MediaError.decodingFailed(path: path, reason: "no frame could be decoded" + (message.isEmpty ? "" : ": " + message))
        }
        // Key-frame sampling legitimately ends a GOP early; full decoding must reach near the end.
        let tolerance = options.decoding == .keyframes ? max(10, info.duration * 0.25) : max(2 * options.interval, 2) + (plan.keyframeGap ?? 0)
        if info.duration - lastTime > tolerance {
            throw MediaError.truncated(path: path, decodedSeconds: lastTime, duration: info.duration)
        }
        return SamplingSummary(frameCount: count, lastTime: lastTime, stopped: false, decoding: plan.decoding)
    }

    /// Reads until `buffer` is full or end of stream; the byte count read.
    static func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var filled = 0
        while filled < buffer.count {
            let result = read(descriptor, base + filled, buffer.count - filled)
            if result > 0 {
                filled += result
            } else if result < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        return filled
    }

    /// Decimal text without exponent for filter expressions.
    static func number(_ value: Double) -> String {
        String(format: "%.6f", value)
    }
}

/// ffmpeg's stderr: `showinfo` frame times (in frame order) and everything else as messages.
final class FFmpegLog: @unchecked Sendable {
    private let condition = NSCondition()
    private var times: [Double] = []
    private var otherLines: [String] = []
    private var closed = false

    func consume(_ source: FileHandle) {
        var pending = Data()
        while true {
            let chunk = source.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                record(line: line)
            }
        }
        if !pending.isEmpty { record(line: String(decoding: pending, as: UTF8.self)) }
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func record(line: String) {
        condition.lock()
        defer { condition.unlock() }
        if line.contains("Parsed_showinfo") {
            guard let range = line.range(of: "pts_time:") else { return }
            let value = line[range.upperBound...].prefix { !$0.isWhitespace }
            times.append(Double(value) ?? .nan)
            condition.broadcast()
        } else if !line.hasPrefix(" ") && !line.isEmpty {
            // Indented lines are ffmpeg's stream and configuration listing, not diagnostics.
            otherLines.append(line)
            if otherLines.count > 200 { otherLines.removeFirst(100) }
        }
    }

    /// Waits until the time of frame `index` is known; nil if stderr closed without it.
    func time(ofFrame index: Int) -> Double? {
        condition.lock()
        defer { condition.unlock() }
        while times.count <= index && !closed { condition.wait() }
        guard index < times.count, times[index].isFinite else { return nil }
        return times[index]
    }

    func waitUntilClosed() {
        condition.lock()
        while !closed { condition.wait() }
        condition.unlock()
    }

    /// Diagnostic lines, without the banner-like informational lines ffmpeg prints at info level.
    var messages: String {
        condition.lock()
        defer { condition.unlock() }
        let noise = ["Input #", "Output #", "Stream mapping", "Press [q]", "video:", "frame=", "Metadata:", "Duration:", "Stream #"]
        return otherLines.filter { line in !noise.contains { line.hasPrefix($0) } }.joined(separator: "\n")
    }
}
