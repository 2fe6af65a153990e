import XCTest
@testable import SearchCore

final class QueryTests: XCTestCase {
    let files: Set<String> = ["./beach.jpg", "/photos/me.png"]
    func parse(_ arguments: [String]) throws -> Query { try Query.parse(arguments, fileExists: files.contains) }

    func testOperatorsWeightsAndImages() throws {
        let query = try parse(["golden retriever", "+", "./beach.jpg", "-", "people", "+", "2:\"sunset\"", "-", "0.5:/photos/me.png"])
        XCTAssertEqual(query.terms, [
            QueryTerm(input: .text("golden retriever"), weight: 1),
            QueryTerm(input: .image(path: "./beach.jpg"), weight: 1),
            QueryTerm(input: .text("people"), weight: -1),
            QueryTerm(input: .text("sunset"), weight: 2),
            QueryTerm(input: .image(path: "/photos/me.png"), weight: -0.5),
        ])
    }

    func testAdjacentWordsFormOneTextButImagesStaySeparate() throws {
        XCTAssertEqual(try parse(["red", "car", "at", "night"]).terms, [QueryTerm(input: .text("red car at night"), weight: 1)])
        XCTAssertEqual(try parse(["dog", "./beach.jpg", "sand"]).terms.map(\.input),
                       [.text("dog"), .image(path: "./beach.jpg"), .text("sand")])
        XCTAssertEqual(try parse(["-", "cats", "+", "dogs"]).terms.map(\.weight), [-1, 1])
        XCTAssertEqual(try parse(["10:30 meeting"]).terms, [QueryTerm(input: .text("30 meeting"), weight: 10)],
                       "documented: a leading number and colon is a weight")
        XCTAssertEqual(try parse(["ratio 16:9"]).terms.map(\.input), [.text("ratio 16:9")])
    }

    func testMalformedQueriesAreErrors() {
        for arguments in [[], ["+", "x"], ["x", "-"], ["x", "+", "-", "y"], ["-", "x"], ["2:"], ["0:x"], ["x", "", "y"], ["\t\n"], ["x", " \n ", "y"]] {
            XCTAssertThrowsError(try parse(arguments), "\(arguments)") { error in
                XCTAssertTrue("\(error)".hasPrefix("invalid query"), "\(error)")
            }
        }
    }

    /// Names of missing media files are searched as text, and the query says which, so the caller can
    /// warn; existing files, and texts that only contain a dot, are not listed.
    func testTextsThatNameMediaFilesAreListed() throws {
        let query = try parse(["./beach.jpg", "+", "~/clips/holiday.MP4", "+", "/gone/photo.jpeg", "+", "e.g. cats", "+", "dog"])
        XCTAssertEqual(query.textsNamingFiles, ["~/clips/holiday.MP4", "/gone/photo.jpeg"])
        XCTAssertEqual(try parse(["sunset"]).textsNamingFiles, [])
    }

    /// Σ weight·e renormalised: with orthonormal e1, e2, "e1 - e2" points at 45° between them,
    /// "2:e1 + e2" at atan(1/2) from e1.
    func testCombinationSemantics() throws {
        let e1: [Float] = [1, 0, 0], e2: [Float] = [0, 1, 0]
        let difference = try Query(terms: [QueryTerm(input: .text("a"), weight: 1), QueryTerm(input: .text("b"), weight: -1)]).combine([e1, e2])
        XCTAssertEqual(difference[0], Float(1 / 2.0.squareRoot()), accuracy: 1e-6)
        XCTAssertEqual(difference[1], -Float(1 / 2.0.squareRoot()), accuracy: 1e-6)
        let weighted = try Query(terms: [QueryTerm(input: .text("a"), weight: 2), QueryTerm(input: .text("b"), weight: 1)]).combine([e1, e2])
        XCTAssertEqual(weighted[0], Float(2 / 5.0.squareRoot()), accuracy: 1e-6)
        XCTAssertEqual(weighted[1], Float(1 / 5.0.squareRoot()), accuracy: 1e-6)
        XCTAssertThrowsError(try Query(terms: [QueryTerm(input: .text("a"), weight: 1), QueryTerm(input: .text("a"), weight: -1)]).combine([e1, e1]))
    }
}
