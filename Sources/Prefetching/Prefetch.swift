import Foundation

/// One producer on its own thread, one bounded queue, the consumer on the calling thread: the
/// producer (reading and decoding files, say) works on the next elements while the consumer (a
/// forward pass) handles the current one, and never gets more than `capacity` elements ahead.
public enum Prefetch {
    /// What `push` throws into the producer once the consumer has stopped: the producer's signal to end.
    public struct Cancelled: Error, Sendable {}

    /// Runs `produce` on a new thread and hands every element it pushes to `consume`, in order, on
    /// the calling thread. `push` blocks while `capacity` elements wait. `consume` returns false to
    /// stop early (the producer's next `push` throws `Cancelled`). An error the producer throws
    /// reaches the caller after the elements pushed before it were consumed; an error `consume`
    /// throws stops the producer and is rethrown. Returns only once the producer thread has ended.
    public static func run<Element: Sendable>(
        capacity: Int,
        produce: @escaping @Sendable (_ push: (Element) throws -> Void) throws -> Void,
        consume: (Element) throws -> Bool
    ) throws {
        let queue = BoundedQueue<Result<Element, Error>>(capacity: capacity)
        let ended = DispatchSemaphore(value: 0)
        let producer = Thread {
            do {
                try produce { element in
                    guard queue.push(.success(element)) else { throw Cancelled() }
                }
            } catch is Cancelled {
            } catch {
                _ = queue.push(.failure(error))
            }
            queue.finish()
            ended.signal()
        }
        // Decoders recurse (libjpeg, libheif): give the thread the main thread's usual stack.
        producer.stackSize = 8 << 20
        producer.start()
        defer {
            queue.cancel()
            ended.wait()
        }
        while let item = queue.pop() {
            guard try consume(item.get()) else { return }
        }
    }
}
