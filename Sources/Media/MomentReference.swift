import Foundation

/// A video moment named in text: copied from `clip-search search`'s table (`<path> @ 00:12:31–00:12:44
/// (peak 00:12:35)`, with or without the rank and score columns) or from its `--json` output (one
/// result object, a JSON array of them, or JSON lines).
public struct MomentReference: Sendable, Equatable {
    public var path: String
    public var start: Double
    public var end: Double
    /// The best frame's time when the text names it.
    public var peak: Double?

    public init(path: String, start: Double, end: Double, peak: Double? = nil) {
        self.path = path
        self.start = start
        self.end = end
        self.peak = peak
    }

    /// The frame that stands for the moment: its peak, else its middle.
    public var representativeTime: Double { peak ?? (start + end) / 2 }

    /// Parses `text`; when it holds several results (a pasted table, a JSON array), takes the one
    /// ranked `rank` (default: the first). `argument` names the option in error messages.
    public static func parse(_ text: String, rank: Int? = nil, argument: String = "--moment") throws -> MomentReference {
        func failure(_ reason: String) -> MediaError { .invalidMoment(argument: argument, text: text, reason: reason) }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw failure("it is empty") }
        if let rank, rank < 1 { throw failure("--rank must be at least 1, got \(rank)") }
        let candidates: [Candidate]
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
            candidates = try jsonCandidates(trimmed, failure: failure)
        } else {
            candidates = trimmed.split(whereSeparator: \.isNewline).map { String($0) }
                .filter { $0.contains("@") }.map { Candidate(rank: nil, source: .table($0)) }
            guard !candidates.isEmpty else {
                throw failure("expected '<path> @ <start>–<end>' as search prints it, or a result of search --json")
            }
        }
        let chosen: Candidate
        if let rank {
            // Ranks printed with the results win over positions (a filtered paste keeps its ranks).
            let located = candidates.first { $0.rank == rank }
                ?? candidates.first { $0.source.rankColumn == rank }
                ?? (candidates.allSatisfy { $0.rank == nil && $0.source.rankColumn == nil } && rank <= candidates.count ? candidates[rank - 1] : nil)
            guard let located else { throw failure("no result ranked \(rank) among \(candidates.count)") }
            chosen = located
        } else {
            chosen = candidates[0]
        }
        switch chosen.source {
        case .json(let object): return try fromJSON(object, failure: failure)
        case .table(let line): return try fromTable(line, failure: failure)
        }
    }

    private enum Source {
        case json([String: Any])
        case table(String)

        /// The leading rank column of a pasted table row.
        var rankColumn: Int? {
            guard case .table(let line) = self else { return nil }
            let columns = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard columns.count == 3, let rank = Int(columns[0]), Double(columns[1]) != nil else { return nil }
            return rank
        }
    }

    private struct Candidate {
        var rank: Int?
        var source: Source
    }

    private static func jsonCandidates(_ text: String, failure: (String) -> MediaError) throws -> [Candidate] {
        var objects: [Any] = []
        if let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) {
            objects = (value as? [Any]) ?? [value]
        } else {
            // JSON lines: one result object per line.
            for line in text.split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                guard let value = try? JSONSerialization.jsonObject(with: Data(line.utf8)) else {
                    throw failure("not valid JSON")
                }
                objects.append(value)
            }
        }
        let results = try objects.map { value -> Candidate in
            guard let object = value as? [String: Any] else { throw failure("expected JSON objects (results of search --json)") }
            return Candidate(rank: (object["rank"] as? NSNumber)?.intValue, source: .json(object))
        }
        guard !results.isEmpty else { throw failure("the JSON holds no result") }
        return results
    }

    private static func fromJSON(_ object: [String: Any], failure: (String) -> MediaError) throws -> MomentReference {
        guard let path = object["path"] as? String, !path.isEmpty else { throw failure("the JSON result has no \"path\"") }
        if let type = object["type"] as? String, type != "video" {
            throw failure("\(path) is a \(type), not a video moment")
        }
        func seconds(_ key: String) throws -> Double? {
            guard let value = object[key] else { return nil }
            // `value is Bool` also matches an NSNumber holding 0 or 1 on Linux; JSON's true and
            // false alone are stored as char-typed booleans.
            if let number = value as? NSNumber, String(cString: number.objCType) != "c" { return number.doubleValue }
            if let text = value as? String, let parsed = try? VideoTime.parse(text) { return parsed }
            throw failure("\"\(key)\" is not a time")
        }
        guard let start = try seconds("start"), let end = try seconds("end") else {
            throw failure("the JSON result has no \"start\" and \"end\" (a photo result?)")
        }
        return try checked(MomentReference(path: path, start: start, end: end, peak: try seconds("peak")), failure: failure)
    }

    /// `[rank score] <path> @ <start>–<end> [(peak <time>)]`; the dash may be –, —, - or "..".
    private static func fromTable(_ line: String, failure: (String) -> MediaError) throws -> MomentReference {
        var text = line.trimmingCharacters(in: .whitespaces)
        if Source.table(text).rankColumn != nil {
            let columns = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            text = String(columns[2]).trimmingCharacters(in: .whitespaces)
        }
        guard let at = text.range(of: "@", options: .backwards) else { throw failure("no '@' between the path and the times") }
        let path = text[..<at.lowerBound].trimmingCharacters(in: .whitespaces)
        var times = text[at.upperBound...].trimmingCharacters(in: .whitespaces)
        guard !path.isEmpty else { throw failure("no path before '@'") }
        var peak: Double?
        if let open = times.range(of: "(") {
            let inside = times[open.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: ") "))
            let peakText = inside.hasPrefix("peak") ? String(inside.dropFirst(4)) : inside
            guard let value = try? VideoTime.parse(peakText.trimmingCharacters(in: .whitespaces)) else {
                throw failure("'(\(inside))' is not '(peak <time>)'")
            }
            peak = value
            times = times[..<open.lowerBound].trimmingCharacters(in: .whitespaces)
        }
        let bounds = times.replacingOccurrences(of: "..", with: "–").split(whereSeparator: { "–—-".contains($0) })
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard bounds.count == 2 else { throw failure("expected '<start>–<end>' after '@', got '\(times)'") }
        guard let start = try? VideoTime.parse(bounds[0]), let end = try? VideoTime.parse(bounds[1]) else {
            throw failure("'\(times)' holds a time that is not seconds or [hh:]mm:ss[.fff]")
        }
        return try checked(MomentReference(path: path, start: start, end: end, peak: peak), failure: failure)
    }

    private static func checked(_ moment: MomentReference, failure: (String) -> MediaError) throws -> MomentReference {
        guard moment.start.isFinite, moment.end.isFinite, moment.start >= 0, moment.end > moment.start else {
            throw failure("the end must be after the start")
        }
        if let peak = moment.peak, !(peak.isFinite && peak >= 0) { throw failure("the peak is not a time") }
        return moment
    }
}
