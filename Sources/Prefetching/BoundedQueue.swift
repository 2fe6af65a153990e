import Foundation

/// A blocking first-in first-out queue of bounded size between one producer and one consumer, so
/// a producer runs ahead of its consumer without holding more than `capacity` items in memory.
public final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    public let capacity: Int
    private var finished = false
    private var cancelled = false

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Waits for room; false once the consumer cancelled (the item is dropped).
    public func push(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count - head >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The next item, or nil when the producer finished and everything was taken (or on cancel).
    public func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !finished && !cancelled { condition.wait() }
        guard !cancelled, head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return item
    }

    /// The producer is done: `pop` returns what is left, then nil.
    public func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer is done: a waiting or later `push` returns false, `pop` returns nil.
    public func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        head = 0
        condition.broadcast()
        condition.unlock()
    }
}
