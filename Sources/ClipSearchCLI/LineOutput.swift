import Foundation

/// Buffered standard output (large JSON lines are slow through print) plus unbuffered warnings.
final class LineOutput {
    private var buffer = Data()

    func write(_ line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        if buffer.count > 1 << 16 { flush() }
    }

    func warn(_ line: String) {
        flush()
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
