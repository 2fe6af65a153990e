import Catalog
import enum Catalog.MediaType
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest
@testable import Server

final class VideoMomentTests: XCTestCase {
    struct Row: MomentRow {
        var mediaID: Int64
        var frameTime: Double
        var path: String
        var mediaType: MediaType
    }

    func testRankerMergesConsecutiveFramesAndNeverRepeatsAMoment() {
        func entry(_ id: Int64, _ time: Double, _ type: MediaType) -> Row {
            Row(mediaID: id, frameTime: time, path: "/m/\(id)", mediaType: type)
        }
        // Video 2 has two separate good stretches (1–2 s and 6 s); photos 1 and 3 sit between them.
        var entries: [Row] = [entry(1, 0, .photo)]
        for second in 0..<8 { entries.append(entry(2, Double(second), .video)) }
        entries.append(entry(3, 0, .photo))
        let scores: [Float] = [0.50, 0.10, 0.80, 0.78, 0.20, 0.20, 0.20, 0.70, 0.10, 0.60]
        let ranked = MomentRanker.rank(entries: entries, scores: scores, filter: .init(), count: 10)
        let video = ranked.filter { $0.mediaType == MediaType.video }
        XCTAssertEqual(ranked.first?.mediaID, 2)
        XCTAssertEqual(ranked.first?.start, 1)
        XCTAssertEqual(ranked.first?.end, 3)
        XCTAssertEqual(ranked.first?.peak, 1)
        XCTAssertEqual(ranked[1].peak, 6)
        XCTAssertEqual(ranked[1].start, 6)
        for (index, a) in video.enumerated() {
            for b in video[(index + 1)...] { XCTAssertTrue(a.end <= b.start || b.end <= a.start, "\(a) overlaps \(b)") }
        }
        let photoIDs: Set<Int64> = Set(ranked.filter { $0.mediaType == MediaType.photo }.map { $0.mediaID })
        XCTAssertEqual(photoIDs, [1, 3])
        let rankedScores: [Float] = ranked.map { $0.score }
        XCTAssertEqual(rankedScores, rankedScores.sorted(by: >))
        var photosOnly = MomentRanker.Filter()
        photosOnly.mediaType = .photo
        let photoRanking: [Int64] = MomentRanker.rank(entries: entries, scores: scores, filter: photosOnly, count: 5).map { $0.mediaID }
        XCTAssertEqual(photoRanking, [3, 1])
        XCTAssertEqual(MomentRanker.topRows(scores: scores, count: 3, where: { _ in true }), [2, 3, 7])
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
