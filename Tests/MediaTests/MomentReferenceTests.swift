import Foundation
import Media
import XCTest

/// `--moment` text: what `search` prints (table and JSON) must parse back to the same segment.
final class MomentReferenceTests: XCTestCase {
    func testTableTextParsesWithOrWithoutColumnsAndPeak() throws {
        let expected = MomentReference(path: "/videos/my holiday @ sea.mp4", start: 751, end: 764, peak: 755)
        for text in ["/videos/my holiday @ sea.mp4 @ 00:12:31–00:12:44 (peak 00:12:35)",
                     "   3  0.3124  /videos/my holiday @ sea.mp4 @ 00:12:31–00:12:44 (peak 00:12:35)",
                     "  /videos/my holiday @ sea.mp4 @ 12:31 - 12:44 (peak 755)\n",
                     "/videos/my holiday @ sea.mp4@00:12:31—00:12:44 (00:12:35)",
                     "/videos/my holiday @ sea.mp4 @ 751..764 (peak 00:12:35.000)"] {
            XCTAssertEqual(try MomentReference.parse(text), expected, text)
        }
        let withoutPeak = try MomentReference.parse("/v/a.mp4 @ 00:00:04.250–00:00:08.500")
        XCTAssertEqual(withoutPeak, MomentReference(path: "/v/a.mp4", start: 4.25, end: 8.5))
        XCTAssertEqual(withoutPeak.representativeTime, 6.375)
    }

    func testJSONObjectArrayAndLinesParseAndRankPicks() throws {
        let first = #"{"rank":1,"score":0.31,"path":"/v/a.mp4","media_id":4,"type":"video","time":5.5,"start":4,"end":8,"peak":5.5,"frames":4}"#
        let photo = #"{"rank":2,"score":0.29,"path":"/p/b.jpg","media_id":5,"type":"photo","time":0}"#
        let third = #"{"rank":3,"score":0.2,"path":"/v/c.mkv","media_id":6,"type":"video","time":61,"start":60.5,"end":63,"peak":61,"frames":3}"#
        XCTAssertEqual(try MomentReference.parse(first), MomentReference(path: "/v/a.mp4", start: 4, end: 8, peak: 5.5))
        let array = "[" + [first, photo, third].joined(separator: ",") + "]"
        XCTAssertEqual(try MomentReference.parse(array).path, "/v/a.mp4")
        XCTAssertEqual(try MomentReference.parse(array, rank: 3), MomentReference(path: "/v/c.mkv", start: 60.5, end: 63, peak: 61))
        XCTAssertEqual(try MomentReference.parse([first, third].joined(separator: "\n"), rank: 3).start, 60.5)
        XCTAssertThrowsError(try MomentReference.parse(array, rank: 2)) { error in
            XCTAssertTrue("\(error)".contains("is a photo"), "\(error)")
        }
        // A filtered table keeps its rank column: rank 7 is the row labelled 7, not the 7th row.
        let table = "rank  score   path\n   4  0.3000  /v/a.mp4 @ 00:00:04–00:00:08 (peak 00:00:05)\n   7  0.2000  /v/c.mkv @ 00:01:00–00:01:03 (peak 00:01:01)"
        XCTAssertEqual(try MomentReference.parse(table, rank: 7).path, "/v/c.mkv")
        XCTAssertEqual(try MomentReference.parse(table).path, "/v/a.mp4")
        XCTAssertThrowsError(try MomentReference.parse(table, rank: 2))
    }

    func testBadMomentsGiveOneLineErrorsNamingTheArgument() {
        let bad = ["", "holiday.mp4", "/v/a.mp4 @ 00:00:08–00:00:04", "/v/a.mp4 @ 00:00:04", "@ 1–2",
                   "/v/a.mp4 @ 00:61:00–00:62:00", "/v/a.mp4 @ 1–2 (peak soon)", "{\"path\":\"/v/a.mp4\"}",
                   "{\"path\":\"/v/a.mp4\",\"start\":\"x\",\"end\":2}", "[1,2]", "{not json", "[]"]
        for text in bad {
            XCTAssertThrowsError(try MomentReference.parse(text, argument: "--moment"), text) { error in
                guard case MediaError.invalidMoment = error else { return XCTFail("\(text): \(error)") }
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("--moment '"), message)
                XCTAssertFalse(message.contains("\n"), message)
            }
        }
    }

    /// JSON numbers 0 and 1 are times (they bridge to Bool on Linux); JSON booleans are not.
    func testJSONTimesOfZeroAndOneAreNumbersAndBooleansAreNot() throws {
        for (start, end, peak) in [("0", "2", "1"), ("0.0", "1.0", "0.5"), ("1", "3", "1.0"), ("0.0", "2.0", "1.06667")] {
            let text = #"{"path":"/v/a.mp4","start":"# + start + #","end":"# + end + #","peak":"# + peak + "}"
            XCTAssertEqual(try MomentReference.parse(text),
                           MomentReference(path: "/v/a.mp4", start: Double(start)!, end: Double(end)!, peak: Double(peak)!), text)
        }
        for text in [#"{"path":"/v/a.mp4","start":true,"end":2}"#, #"{"path":"/v/a.mp4","start":0,"end":2,"peak":false}"#] {
            XCTAssertThrowsError(try MomentReference.parse(text), text) { error in
                XCTAssertTrue("\(error)".contains("is not a time"), "\(error)")
            }
        }
    }
}
