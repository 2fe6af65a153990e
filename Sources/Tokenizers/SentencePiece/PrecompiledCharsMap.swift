/// SentencePiece's `precompiled_charsmap` (the compiled `nmt_nfkc`, `nfkc_cf`… tables): a little-endian uint32
/// trie size, a Darts-clone double-array trie over UTF-8 byte sequences, then a blob of NUL-terminated
/// replacement strings that the trie's values point into. Every array access is bounds-checked, so a
/// corrupted table never reads outside its bytes (a lookup that would is treated as "no rule").
struct PrecompiledCharsMap: Sendable, Equatable {
    private let units: [UInt32]
    private let replacements: [UInt8]

    enum Failure: Error, Equatable {
        case malformed(String)
    }

    init(_ blob: [UInt8]) throws {
        guard blob.count > 4 else { throw Failure.malformed("precompiled_charsmap is \(blob.count) bytes") }
        let trieSize = Int(UInt32(blob[0]) | UInt32(blob[1]) << 8 | UInt32(blob[2]) << 16 | UInt32(blob[3]) << 24)
        guard trieSize <= blob.count - 4 else {
            throw Failure.malformed("precompiled_charsmap trie size \(trieSize) exceeds its \(blob.count) bytes")
        }
        guard trieSize % 4 == 0, trieSize > 0 else {
            throw Failure.malformed("precompiled_charsmap trie size \(trieSize) is not a positive multiple of 4")
        }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for index in units.indices {
            let base = 4 + 4 * index
            units[index] = UInt32(blob[base]) | UInt32(blob[base + 1]) << 8 | UInt32(blob[base + 2]) << 16
                | UInt32(blob[base + 3]) << 24
        }
        let replacements = Array(blob[(4 + trieSize)...])
        // Replacements are spliced into UTF-8 text, so they must be UTF-8 themselves.
        guard String(validating: replacements, as: UTF8.self) != nil else {
            throw Failure.malformed("precompiled_charsmap replacement strings are not valid UTF-8")
        }
        self.units = units
        self.replacements = replacements
    }

    /// Calls `body(length, value)` for every key that is a prefix of `bytes[start..<end]`, shortest first,
    /// until it returns false. Keys never contain NUL, so a NUL byte ends the search.
    @inline(__always)
    func forEachPrefix(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int,
                       _ body: (Int, Int) -> Bool) {
        guard !units.isEmpty else { return }
        units.withUnsafeBufferPointer { array in
            var node = Self.offset(array[0])
            var index = start
            while index < end {
                let byte = bytes[index]
                if byte == 0 { return }
                node ^= Int(byte)
                guard node < array.count else { return }
                let unit = array[node]
                guard Self.label(unit) == UInt32(byte) else { return }
                node ^= Self.offset(unit)
                index += 1
                if Self.hasLeaf(unit) {
                    guard node < array.count else { return }
                    if !body(index - start, Int(array[node] & 0x7FFF_FFFF)) { return }
                }
            }
        }
    }

    /// SentencePiece's rule (`Normalizer::NormalizePrefix`): the longest key among the first 32 prefixes.
    func longestMatch(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int)
        -> (length: Int, replacement: Range<Int>)? {
        var best: (length: Int, value: Int)?
        var count = 0
        forEachPrefix(bytes, from: start, to: end) { length, value in
            count += 1
            if best == nil || length > best!.length { best = (length, value) }
            return count < 32
        }
        guard let best, let replacement = replacement(at: best.value) else { return nil }
        return (best.length, replacement)
    }

    /// Hugging Face's rule (`spm_precompiled::Precompiled::transform`): the first (shortest) key that is a
    /// prefix of the chunk; the chunk is then replaced whole.
    func firstMatch(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Range<Int>? {
        var found: Int?
        forEachPrefix(bytes, from: start, to: end) { _, value in
            found = value
            return false
        }
        guard let found else { return nil }
        return replacement(at: found)
    }

    /// The NUL-terminated replacement starting at `value`, or nil when a corrupted value points outside
    /// the blob or into the middle of a character.
    private func replacement(at value: Int) -> Range<Int>? {
        guard value <= replacements.count else { return nil }
        if value < replacements.count, replacements[value] & 0xC0 == 0x80 { return nil }
        var end = value
        while end < replacements.count, replacements[end] != 0 { end += 1 }
        return value..<end
    }

    func withReplacements<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        replacements.withUnsafeBufferPointer(body)
    }

    // Darts-clone unit layout.
    @inline(__always) private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    @inline(__always) private static func label(_ unit: UInt32) -> UInt32 { unit & (0x8000_0000 | 0xFF) }
    @inline(__always) private static func offset(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & (1 << 9)) >> 6))
    }
}
