import ArgumentParser
import Foundation
import TensorCore

/// How long and how the `bench*` commands measure, and how they print.
struct BenchMeasurementOptions: ParsableArguments {
    @Option(help: "Seconds to spend on each measurement (at least one run each).")
    var seconds: Double = 4

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Flag(help: "Report CPU time per thread instead of wall time (for a busy machine; not a throughput figure).")
    var cpuTime = false

    func validate() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    }
}

/// Timing and reporting shared by the `bench*` commands.
enum BenchSupport {
    /// Median seconds per call over repeated runs for `seconds` (at least one run). With `cpuTime`,
    /// the process's CPU seconds divided by the thread count instead: steadier while other programs
    /// load the machine, but not a throughput figure.
    static func medianSeconds(for seconds: Double, cpuTime: Bool = false, _ body: () throws -> Void) throws -> Double {
        var times: [Double] = []
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = processCPUSeconds()
            try body()
            if cpuTime {
                times.append((processCPUSeconds() - cpuStart) / Double(Parallel.processorCount))
            } else {
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        } while Date() < deadline && times.count < 1000
        return times.sorted()[times.count / 2]
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// One JSON object (values rounded to 2 decimals, small ones such as precision deviations to 2
    /// significant digits so they do not print as 0, plus `fields`) or a title and an aligned table.
    static func report(_ results: [(String, Double)], title: String, fields: [String: Any], json: Bool) throws {
        let isSmall = { (value: Double) in value != 0 && abs(value) < 0.01 }
        if json {
            var object = fields
            for (key, value) in results {
                object[key] = isSmall(value) ? Double(String(format: "%.1e", value)) ?? value : (value * 100).rounded() / 100
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(title)
            for (key, value) in results { print(key.padding(toLength: 32, withPad: " ", startingAt: 0), isSmall(value) ? String(format: "%.1e", value) : String(format: "%.2f", value)) }
        }
    }

    /// Largest element difference after L2-normalising each row of both (embeddings in place).
    static func largestNormalizedDifference(_ a: Tensor, _ b: Tensor) -> Double {
        Operations.normalizeRowsInPlace(a)
        Operations.normalizeRowsInPlace(b)
        return (0..<min(a.count, b.count)).reduce(0) { max($0, Double(abs(a.pointer[$1] - b.pointer[$1]))) }
    }
}
