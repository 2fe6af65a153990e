import Foundation

/// CLIP's byte-pair encoder: a word's bytes become byte symbols (the last one carrying `</w>`), then the
/// adjacent pair with the lowest merge rank is merged everywhere, left to right, until no ranked pair
/// is left — the same loop as OpenAI's `SimpleTokenizer.bpe`, but on vocabulary ids instead of strings.
/// Working on ids is equivalent because every merge result is itself a vocabulary entry.
public struct BytePairEncoder: Sendable {
    public static let endOfWordSuffix = "</w>"

    struct Merge: Sendable {
        let rank: Int32
        let mergedID: Int32
    }

    private let merges: [UInt64: Merge]
    private let byteIDs: [Int32]
    private let endOfWordByteIDs: [Int32]
    private let cache = WordCache()

    /// - Parameters:
    ///   - byteIDs: vocabulary id of each byte's symbol, indexed by byte value (256 entries).
    ///   - endOfWordByteIDs: vocabulary id of each byte's symbol followed by `</w>` (256 entries).
    ///   - merges: (left id, right id, merged id), in rank order.
    init(byteIDs: [Int32], endOfWordByteIDs: [Int32], merges rankedMerges: [(Int32, Int32, Int32)]) {
        self.byteIDs = byteIDs
        self.endOfWordByteIDs = endOfWordByteIDs
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(rankedMerges.count)
        for (rank, merge) in rankedMerges.enumerated() {
            let key = Self.pairKey(merge.0, merge.1)
            // A repeated pair keeps its last rank, like Python's dict(zip(merges, range(...))).
            table[key] = Merge(rank: Int32(rank), mergedID: merge.2)
        }
        merges = table
    }

    @inline(__always)
    private static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        (UInt64(UInt32(bitPattern: left)) << 32) | UInt64(UInt32(bitPattern: right))
    }

    /// Appends the ids of one pre-tokenized word (its UTF-8 bytes) to `output`.
    public func encode(wordBytes: [UInt8], into output: inout [Int]) {
        guard let lastByte = wordBytes.last else { return }
        if let cached = cache.lookup(wordBytes) {
            output.append(contentsOf: cached)
            return
        }
        var symbols = [Int32]()
        symbols.reserveCapacity(wordBytes.count)
        for byte in wordBytes.dropLast() { symbols.append(byteIDs[Int(byte)]) }
        symbols.append(endOfWordByteIDs[Int(lastByte)])
        mergeAll(&symbols)
        let ids = symbols.map { Int($0) }
        cache.store(wordBytes, ids)
        output.append(contentsOf: ids)
    }

    private func mergeAll(_ symbols: inout [Int32]) {
        var scratch = [Int32]()
        scratch.reserveCapacity(symbols.count)
        while symbols.count > 1 {
            var best = Merge(rank: Int32.max, mergedID: -1)
            var bestLeft: Int32 = 0
            var bestRight: Int32 = 0
            for index in 0..<(symbols.count - 1) {
                guard let merge = merges[Self.pairKey(symbols[index], symbols[index + 1])],
                      merge.rank < best.rank else { continue }
                best = merge
                bestLeft = symbols[index]
                bestRight = symbols[index + 1]
            }
            guard best.mergedID >= 0 else { return }
            let chosen = best
            scratch.removeAll(keepingCapacity: true)
            var index = 0
            while index < symbols.count {
                if index + 1 < symbols.count, symbols[index] == bestLeft, symbols[index + 1] == bestRight {
                    scratch.append(chosen.mergedID)
                    index += 2
                } else {
                    scratch.append(symbols[index])
                    index += 1
                }
            }
            swap(&symbols, &scratch)
        }
    }
}

/// Memo of already-encoded words shared by all callers; a lock keeps it safe across threads and the
/// size cap keeps long-running processes from growing without bound.
final class WordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [[UInt8]: [Int]] = [:]
    private let capacity = 50_000

    func lookup(_ key: [UInt8]) -> [Int]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[key]
    }

    func store(_ key: [UInt8], _ value: [Int]) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = value
    }
}
