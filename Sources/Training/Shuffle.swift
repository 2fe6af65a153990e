/// A seeded generator whose whole state is one value, so runs are reproducible and resumable.
public struct TrainingRandom: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Fisher–Yates with this generator (the standard library's shuffle may change between releases).
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for index in stride(from: values.count - 1, to: 0, by: -1) {
            let other = Int(next() % UInt64(index + 1))
            values.swapAt(index, other)
        }
    }

    /// The generator for one epoch's order (independent of how many epochs ran before).
    public static func forEpoch(_ epoch: Int, seed: UInt64) -> TrainingRandom {
        TrainingRandom(seed: seed ^ (0xA076_1D64_78BD_642F &* UInt64(epoch + 1)))
    }
}
