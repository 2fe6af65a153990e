import Foundation

/// A `tokenizer.json` pattern (`{"String": …}` or `{"Regex": …}`) and how tokenizers' `Pattern::find_matches`
/// covers a text with it: alternating non-matching and matching byte ranges, left to right.
enum TextPattern: Sendable {
    case literal([UInt8])
    case regex(RegexBox)

    /// NSRegularExpression is not Sendable; it is immutable after creation and safe to share.
    final class RegexBox: @unchecked Sendable {
        let expression: NSRegularExpression
        init(_ expression: NSRegularExpression) { self.expression = expression }
    }

    /// - Throws: a description of the problem, for the caller to put in a one-line error.
    init(json: Any?) throws {
        guard let object = json as? [String: Any] else { throw PatternError("pattern is not an object") }
        if let literal = object["String"] as? String {
            self = .literal(Array(literal.utf8))
        } else if let regex = object["Regex"] as? String {
            do {
                self = .regex(RegexBox(try NSRegularExpression(pattern: regex)))
            } catch {
                throw PatternError("regular expression \(regex.debugDescription) does not compile")
            }
        } else {
            throw PatternError("pattern has neither \"String\" nor \"Regex\"")
        }
    }

    init(literal: String) { self = .literal(Array(literal.utf8)) }

    struct PatternError: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// Matching byte ranges, non-overlapping, left to right.
    func matches(in text: [UInt8]) -> [Range<Int>] {
        switch self {
        case .literal(let pattern):
            guard !pattern.isEmpty, pattern.count <= text.count else { return [] }
            var ranges: [Range<Int>] = []
            var position = 0
            let first = pattern[0]
            while position + pattern.count <= text.count {
                if text[position] == first, text[position..<(position + pattern.count)].elementsEqual(pattern) {
                    ranges.append(position..<(position + pattern.count))
                    position += pattern.count
                } else {
                    position += 1
                }
            }
            return ranges
        case .regex(let box):
            let string = String(decoding: text, as: UTF8.self)
            let results = box.expression.matches(in: string, range: NSRange(location: 0, length: string.utf16.count))
            guard !results.isEmpty else { return [] }
            // UTF-16 offsets → UTF-8 byte offsets.
            var byteOffsets = [Int](repeating: 0, count: string.utf16.count + 1)
            var utf16 = 0, utf8 = 0
            for scalar in string.unicodeScalars {
                let width16 = scalar.value > 0xFFFF ? 2 : 1
                for index in 0..<width16 { byteOffsets[utf16 + index] = utf8 }
                utf16 += width16
                utf8 += UTF8.width(scalar)
            }
            byteOffsets[utf16] = utf8
            return results.compactMap { result in
                let range = result.range
                guard range.location != NSNotFound, range.length > 0 else { return nil }
                return byteOffsets[range.location]..<byteOffsets[range.location + range.length]
            }
        }
    }

    /// `find_matches`: the whole text as (range, is-match) pieces; an empty text is one empty non-match.
    func pieces(of text: [UInt8], inverted: Bool = false) -> [(range: Range<Int>, isMatch: Bool)] {
        guard !text.isEmpty else { return [(0..<0, false)] }
        var pieces: [(range: Range<Int>, isMatch: Bool)] = []
        var previous = 0
        for match in matches(in: text) {
            if previous < match.lowerBound { pieces.append((previous..<match.lowerBound, inverted)) }
            pieces.append((match, !inverted))
            previous = match.upperBound
        }
        if previous < text.count { pieces.append((previous..<text.count, inverted)) }
        return pieces
    }
}

/// tokenizers' `SplitDelimiterBehavior`: what becomes of the matched delimiters when splitting.
enum SplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"

    /// `NormalizedString::split`: the ranges kept, in order (empty ones dropped).
    func split(_ pieces: [(range: Range<Int>, isMatch: Bool)]) -> [Range<Int>] {
        switch self {
        case .isolated:
            return pieces.map(\.range).filter { !$0.isEmpty }
        case .removed:
            return pieces.filter { !$0.isMatch && !$0.range.isEmpty }.map(\.range)
        case .contiguous, .mergedWithPrevious, .mergedWithNext:
            // One fold: a piece joins the one before it (after it, walking backwards for MergedWithNext)
            // when it continues a run (Contiguous) or is a delimiter following a non-delimiter (Merged…).
            let forward = self != .mergedWithNext
            var result: [Range<Int>] = []
            var previousMatch = false
            for piece in forward ? pieces : pieces.reversed() {
                let joins = self == .contiguous ? piece.isMatch == previousMatch : piece.isMatch && !previousMatch
                if joins, let last = result.last {
                    result[result.count - 1] = forward ? last.lowerBound..<piece.range.upperBound
                                                       : piece.range.lowerBound..<last.upperBound
                } else {
                    result.append(piece.range)
                }
                previousMatch = piece.isMatch
            }
            return (forward ? result : result.reversed()).filter { !$0.isEmpty }
        }
    }
}
