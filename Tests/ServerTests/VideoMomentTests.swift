@testable import Catalog
import enum Catalog.MediaType
import SearchCore
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest
@testable import Server

final class VideoMomentTests: XCTestCase {
    typealias Entry = EmbeddingTable.Entry

    /// The server ranks with SearchCore's MomentSearch (the CLI's ranking): checked on hand-made rows.
    func testRankingMergesConsecutiveFramesAndNeverRepeatsAMoment() {
        func entry(_ id: Int64, _ time: Double, _ type: MediaType) -> Entry {
            Entry(mediaID: id, frameTime: time, path: "/m/\(id)", mediaType: type)
        }
        // Video 2 has two separate good stretches (1–2 s and 6 s); photos 1 and 3 sit between them.
        var entries: [Entry] = [entry(1, 0, .photo)]
        for second in 0..<8 { entries.append(entry(2, Double(second), .video)) }
        entries.append(entry(3, 0, .photo))
        let scores: [Float] = [0.50, 0.10, 0.80, 0.78, 0.20, 0.20, 0.20, 0.70, 0.10, 0.60]
        var askedDurations: [Int64] = []
        let ranked = MomentSearch.rank(entries: entries, scores: scores, filter: MomentFilter(), top: 10) { id in
            askedDurations.append(id)
            return 8.5
        }
        XCTAssertEqual(ranked.map(\.rank), Array(1...ranked.count))
        XCTAssertEqual(ranked.first?.mediaID, 2)
        XCTAssertEqual(ranked.first?.moment?.start, 1)
        XCTAssertEqual(ranked.first?.moment?.end, 3)
        XCTAssertEqual(ranked.first?.moment?.peakTime, 1)
        XCTAssertEqual(ranked[1].moment?.peakTime, 6)
        XCTAssertEqual(ranked[1].moment?.start, 6)
        // Neither moment reaches the last sample, so the video's duration is never needed.
        XCTAssertEqual(askedDurations, [])
        let video = ranked.compactMap(\.moment)
        for (index, a) in video.enumerated() {
            for b in video[(index + 1)...] { XCTAssertTrue(a.end <= b.start || b.end <= a.start, "\(a) overlaps \(b)") }
        }
        XCTAssertEqual(ranked.filter { $0.mediaType == MediaType.photo }.map(\.mediaID), [3, 1])
        let rankedScores: [Float] = ranked.map(\.score)
        XCTAssertEqual(rankedScores, rankedScores.sorted(by: >))

        let photoRanking = MomentSearch.rank(entries: entries, scores: scores, filter: MomentFilter(mediaType: .photo), top: 5)
        XCTAssertEqual(photoRanking.map(\.mediaID), [3, 1])
        let excluded = MomentSearch.rank(entries: entries, scores: scores, filter: MomentFilter(excludedMediaID: 2), top: 5)
        XCTAssertEqual(excluded.map(\.mediaID), [3, 1])
        let strict = MomentSearch.rank(entries: entries, scores: scores, filter: MomentFilter(threshold: 0.75), top: 5)
        XCTAssertEqual(strict.count, 1)
        XCTAssertEqual(strict.first?.moment.map { [$0.start, $0.end] }, [1, 3])
        let elsewhere = MomentSearch.rank(entries: entries, scores: scores, filter: MomentFilter(folder: "/other"), top: 5)
        XCTAssertEqual(elsewhere, [])
    }

    func testAMomentReachingTheLastSampleEndsAtTheVideosEnd() {
        let entries = (0..<5).map { Entry(mediaID: 7, frameTime: Double($0) * 2, path: "/v/7.mp4", mediaType: .video) }
        let scores: [Float] = [0.1, 0.2, 0.1, 0.7, 0.72]
        let ranked = MomentSearch.rank(entries: entries, scores: scores, filter: MomentFilter(), top: 3) { _ in 9.25 }
        XCTAssertEqual(ranked.first?.moment?.start, 6)
        XCTAssertEqual(ranked.first?.moment?.end, 9.25)
        XCTAssertEqual(ranked.first?.moment?.peakTime, 8)
    }

    func testPhotoQueryFindsTheVideoMomentAndTheVideoStreamsWithRanges() async throws {
        let fixture = try ServerTestFixture.shared()
        guard let videoID = fixture.videoID, let videoPath = fixture.videoPath else { throw XCTSkip("ffmpeg is not installed") }
        let service = try fixture.service()
        let photo = try Data(contentsOf: URL(fileURLWithPath: ServerTestFixture.path("space/hubble-tiny.jpg")))
        let video = try Data(contentsOf: URL(fileURLWithPath: videoPath))
        try await withServer(service) { client in
            let page = try decodeJSON(try await client.execute(uri: "/api/search?type=video&limit=5", method: .post,
                                                               headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: photo)).body)
            let first = try XCTUnwrap(results(page).first)
            XCTAssertEqual((first["media_id"] as? NSNumber)?.int64Value, videoID)
            XCTAssertEqual(first["type"] as? String, "video")
            XCTAssertEqual((first["start"] as? NSNumber)?.doubleValue, 2)
            XCTAssertEqual((first["end"] as? NSNumber)?.doubleValue, 4)
            XCTAssertEqual((first["peak"] as? NSNumber)?.doubleValue ?? -1, 2.5, accuracy: 0.5)
            let moments = results(page).filter { ($0["media_id"] as? NSNumber)?.int64Value == videoID }
            let spans = moments.compactMap { m -> (Double, Double)? in
                guard let s = (m["start"] as? NSNumber)?.doubleValue, let e = (m["end"] as? NSNumber)?.doubleValue else { return nil }
                return (s, e)
            }.sorted { $0.0 < $1.0 }
            for (a, b) in zip(spans, spans.dropFirst()) { XCTAssertLessThanOrEqual(a.1, b.0) }

            let thumbnail = try await client.execute(uri: try XCTUnwrap(first["thumbnail_url"] as? String), method: .get)
            XCTAssertEqual(thumbnail.status, .ok)
            XCTAssertEqual(thumbnail.headers[.contentType], "image/jpeg")
            XCTAssertEqual(Array(thumbnail.body.readableBytesView.prefix(2)), [0xFF, 0xD8])
            let range = try await client.execute(uri: "/api/media/\(videoID)/original", method: .get, headers: [.range: "bytes=0-"])
            XCTAssertEqual(range.status, .partialContent)
            XCTAssertEqual(range.headers[.contentType], "video/mp4")
            XCTAssertEqual(Data(range.body.readableBytesView), video)
            // More like this on the moment's frame finds the photo it was made from.
            let similar = try decodeJSON(try await client.execute(uri: "/api/similar/\(videoID)?t=2&type=photo&limit=1", method: .get).body)
            XCTAssertEqual(results(similar).first?["path"] as? String, ServerTestFixture.path("space/hubble-tiny.jpg"))
        }
    }
}
