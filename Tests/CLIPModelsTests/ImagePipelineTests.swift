import CLIPModels
import Foundation
import ImageCodecs
import Prefetching
import XCTest

/// The image pipeline's contract: batches come out in input order, the producer runs ahead of the
/// consumer by at most the queue's capacity, and every failure is reported for its own input.
final class ImagePipelineTests: XCTestCase {
    /// An 8×8 model input whose values are the pixel level / 255 (no resize, crop or normalisation to speak of).
    let pipeline = ImagePipeline(
        preprocessor: CLIPImagePreprocessor(shortestEdge: 8, cropHeight: 8, cropWidth: 8, doNormalize: false), imageSize: 8, batchSize: 3)

    /// A uniform image of one grey level per input, so a row tells which input it came from.
    static func image(_ index: Int) -> RGBImage {
        RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: UInt8((index * 37 + 11) % 256), count: 8 * 8 * 3))!
    }

    func level<Note>(of batch: PreparedImageBatch<Note>, row: Int) -> Int {
        Int((batch.pixelValues.pointer[row * 3 * 8 * 8] * 255).rounded())
    }

    func testBatchesArriveInOrderWithEachRowFromItsInput() throws {
        var notes: [Int] = [], batchSizes: [Int] = []
        try pipeline.run(Array(0..<11), input: { .image(.image(Self.image($0)), note: $0) }) { batch in
            for (note, row) in zip(batch.notes, batch.rows) {
                guard case .value(let row) = row else { XCTFail("input \(note) failed"); continue }
                XCTAssertEqual(level(of: batch, row: row), (note * 37 + 11) % 256, "row of input \(note)")
            }
            notes += batch.notes
            batchSizes.append(batch.notes.count)
            return true
        }
        XCTAssertEqual(notes, Array(0..<11))
        XCTAssertEqual(batchSizes, [3, 3, 3, 2])
    }

    /// While the consumer is slow, the producer prepares ahead (the next batches are ready) but never
    /// more than one batch in the queue plus the one it is waiting to push.
    func testProducerRunsAheadByAtMostTheQueueCapacity() throws {
        let emitted = Counter()
        var consumed = 0, sawPrefetch = false
        try pipeline.run(produce: { emit in
            for index in 0..<30 {
                emitted.increment()
                try emit(index)
            }
        }, input: { .image(.image(Self.image($0)), note: $0) }) { batch in
            consumed += 1
            Thread.sleep(forTimeInterval: 0.05)
            let ahead = emitted.value - consumed * 3
            XCTAssertLessThanOrEqual(ahead, 2 * 3, "batch \(consumed): \(emitted.value) emitted")
            if ahead >= 3 { sawPrefetch = true }
            return true
        }
        XCTAssertEqual(consumed, 10)
        XCTAssertTrue(sawPrefetch, "the producer prepared a batch while the consumer was busy")
    }

    func testFailuresBelongToTheirInputAndTheOthersGoOn() throws {
        struct Unreadable: Error {}
        let garbage = Data("not an image at all".utf8)
        let inputs: [ImageInput<String>] = [
            .image(.image(Self.image(1)), note: "first"), .failed(Unreadable(), note: "unreadable"),
            .image(.data(garbage, name: "garbage.bin"), note: "garbage"), .skip(note: "known"),
            .image(.data(Data(), name: "empty.jpg"), note: "empty"), .image(.image(Self.image(2)), note: "last"),
        ]
        let batch = pipeline.prepare(inputs) { $0 }
        XCTAssertEqual(batch.notes, ["first", "unreadable", "garbage", "known", "empty", "last"])
        XCTAssertEqual(batch.pixelValues.shape, [2, 3, 8, 8], "only the two images are model input")
        guard case .value(0) = batch.rows[0], case .value(1) = batch.rows[5] else { return XCTFail("\(batch.rows)") }
        XCTAssertEqual(level(of: batch, row: 1), (2 * 37 + 11) % 256)
        guard case .failed(let unreadable) = batch.rows[1], case .failed(let garbageError) = batch.rows[2],
              case .skipped = batch.rows[3], case .failed(let emptyError) = batch.rows[4] else { return XCTFail("\(batch.rows)") }
        XCTAssertTrue(unreadable is Unreadable)
        XCTAssertTrue("\(garbageError)".hasPrefix("garbage.bin: "), "\(garbageError)")
        XCTAssertTrue("\(emptyError)".hasPrefix("empty.jpg: "), "\(emptyError)")
    }

    /// A producer's error arrives after the full batches emitted before it (the items of an unfinished
    /// batch would only be thrown away with the error); a consumer that stops or throws
    /// ends the producer early, and `run` returns only after the producer thread has ended.
    func testProducerErrorsAndEarlyStops() throws {
        struct SourceBroke: Error {}
        var consumed: [Int] = []
        XCTAssertThrowsError(try pipeline.run(produce: { emit in
            for index in 0..<7 { try emit(index) }
            throw SourceBroke()
        }, input: { .image(.image(Self.image($0)), note: $0) }) { batch in
            consumed += batch.notes
            return true
        }) { XCTAssertTrue($0 is SourceBroke, "\($0)") }
        XCTAssertEqual(consumed, Array(0..<6), "both full batches arrived before the error")

        for stopByThrowing in [false, true] {
            let emitted = Counter(), ended = Counter()
            struct Enough: Error {}
            do {
                try pipeline.run(produce: { emit in
                    defer { ended.increment() }
                    for index in 0..<1000 {
                        emitted.increment()
                        try emit(index)
                    }
                }, input: { .image(.image(Self.image($0)), note: $0) }) { _ in
                    if stopByThrowing { throw Enough() }
                    return false
                }
                XCTAssertFalse(stopByThrowing)
            } catch {
                XCTAssertTrue(stopByThrowing && error is Enough, "\(error)")
            }
            XCTAssertEqual(ended.value, 1, "the producer had ended when run returned")
            XCTAssertLessThanOrEqual(emitted.value, 4 * 3, "the producer stopped soon after the consumer")
        }
    }

    /// Through the tower: each vector is the one its image gets alone, whatever batch it shared.
    func testEmbeddingsFollowTheirInputsThroughTheTower() throws {
        let embedder = try CLIPEmbedder.load(directory: FixturePaths.directory("tiny-quickgelu"))
        let names = ["coffee-444.jpg", "chelsea-rgba.png", "rocket-baseline-420.jpg", "hubble-tiny.jpg", "camera-gray.png"]
        var urls = names.map { FixturePaths.photos.appendingPathComponent($0) }
        urls.insert(URL(fileURLWithPath: "/nonexistent/missing.jpg"), at: 2)
        var pipeline = embedder.imagePipeline()
        pipeline.batchSize = 2
        var results: [Result<[Float], Error>] = []
        try pipeline.run(urls, input: { .image(.file($0), note: $0) }) { batch in
            for vector in embedder.encode(batch).vectors {
                switch vector {
                case .value(let vector): results.append(.success(vector))
                case .failed(let error): results.append(.failure(error))
                case .skipped: XCTFail("nothing was skipped")
                }
            }
            return true
        }
        XCTAssertEqual(results.count, urls.count)
        for (url, result) in zip(urls, results) {
            if url.path.hasPrefix("/nonexistent") {
                XCTAssertThrowsError(try result.get()) { XCTAssertTrue("\($0)".contains(url.path), "\($0)") }
                continue
            }
            let alone = try embedder.embed(imageFiles: [url])[0].get()
            XCTAssertEqual(alone.count, embedder.dimension)
            XCTAssertLessThanOrEqual(maximumDifference(try result.get(), alone), 1e-5, url.lastPathComponent)
        }
        XCTAssertGreaterThan(maximumDifference(try results[0].get(), try results[1].get()), 1e-3, "different photos, different vectors")
    }
}

/// A count shared with the producer thread.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
