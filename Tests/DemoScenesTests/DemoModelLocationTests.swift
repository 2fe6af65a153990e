import Foundation
import SearchCore
import XCTest

/// How `modelArgument` finds the bundled demo model when nothing else is available.
final class DemoModelLocationTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("demo-location-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("repo/.build/release"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("empty-cache"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    func makeModel(_ relative: String) throws -> URL {
        let folder = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: folder.appendingPathComponent("config.json"))
        return folder
    }

    func testFallsBackToTheDemoModelAboveTheExecutable() throws {
        let environment = ["CLIPSEARCH_CACHE": root.appendingPathComponent("empty-cache").path]
        let executable = root.appendingPathComponent("repo/.build/release")
        XCTAssertThrowsError(try modelArgument(nil, environment: environment, executableDirectory: executable))
        let model = try makeModel("repo/models/clipsearch-demo")
        XCTAssertEqual(try modelArgument(nil, environment: environment, executableDirectory: executable), model.path)
        XCTAssertEqual(try modelArgument("demo", environment: environment, executableDirectory: executable), model.path)
        XCTAssertEqual(try modelArgument(nil, environment: environment.merging(["CLIPSEARCH_MODEL": "clipsearch-demo"]) { $1 },
                                         executableDirectory: executable), model.path)
        // A named model or CLIPSEARCH_MODEL still wins.
        XCTAssertEqual(try modelArgument("some/model", environment: environment, executableDirectory: executable), "some/model")
        // CLIPSEARCH_DEMO_MODEL wins over the search.
        let other = try makeModel("elsewhere/demo")
        XCTAssertEqual(try modelArgument(nil, environment: environment.merging(["CLIPSEARCH_DEMO_MODEL": other.path]) { $1 },
                                         executableDirectory: executable), other.path)
    }

    func testFindsAnInstalledDemoModel() throws {
        let environment = ["CLIPSEARCH_CACHE": root.appendingPathComponent("empty-cache").path]
        let model = try makeModel("prefix/share/clipsearch/models/clipsearch-demo")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("prefix/bin"), withIntermediateDirectories: true)
        XCTAssertEqual(bundledDemoModel(environment: environment, executableDirectory: root.appendingPathComponent("prefix/bin"))?.path, model.path)
        XCTAssertNil(bundledDemoModel(environment: environment, executableDirectory: nil))
        XCTAssertThrowsError(try modelArgument("demo", environment: environment, executableDirectory: nil)) {
            XCTAssertTrue("\($0)".contains("CLIPSEARCH_DEMO_MODEL"))
        }
    }
}
