import CLIPModels

/// The training loop's generator: the engine's seeded SplitMix64, whose state is saved with a run.
public typealias TrainingRandom = SeededGenerator

extension SeededGenerator {
    /// Fisher–Yates with this generator (the standard library's shuffle may change between releases).
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for index in stride(from: values.count - 1, to: 0, by: -1) {
            let other = Int(next() % UInt64(index + 1))
            values.swapAt(index, other)
        }
    }

    /// The generator for one epoch's order (independent of how many epochs ran before).
    public static func forEpoch(_ epoch: Int, seed: UInt64) -> SeededGenerator {
        SeededGenerator(seed: seed ^ (0xA076_1D64_78BD_642F &* UInt64(epoch + 1)))
    }
}
