import Foundation
import XCTest
@testable import SearchCore

/// The folder walk on trees with symbolic links: loops end, and every real file is listed once,
/// under its real path when it has one.
final class MediaScannerTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("scanner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("photos/inner"), withIntermediateDirectories: true)
        try Data("a".utf8).write(to: root.appendingPathComponent("photos/one.jpg"))
        try Data("bb".utf8).write(to: root.appendingPathComponent("photos/inner/two.png"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    /// A relative link, as `ln -s ../x` makes: the path does not resolve to an absolute one.
    func link(_ relativePath: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent(relativePath).path, withDestinationPath: destination)
    }

    func scannedNames() throws -> [String] {
        let prefix = root.path + "/"
        return try MediaScanner().scan(root: root.path).files.map { String($0.path.dropFirst(prefix.count)) }
    }

    func testRelativeLinkLoopsAreWalkedOnce() throws {
        try link("photos/inner/up", to: "../inner")
        try link("photos/inner/dot", to: ".")
        try link("photos/parent", to: "..")
        XCTAssertEqual(try scannedNames(), ["photos/inner/two.png", "photos/one.jpg"])
    }

    func testTwoInterlockedLoopsFinish() throws {
        try link("photos/inner/loop", to: "..")
        try link("photos/inner/loop2", to: "../inner")
        try link("photos/back", to: "../photos")
        XCTAssertEqual(try scannedNames(), ["photos/inner/two.png", "photos/one.jpg"])
    }

    func testLinkedFolderOutsideTheTreeIsWalked() throws {
        let outside = root.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("ccc".utf8).write(to: outside.appendingPathComponent("three.webp"))
        let tree = root.appendingPathComponent("photos")
        try link("photos/linked", to: "../elsewhere")
        let prefix = tree.path + "/"
        let names = try MediaScanner().scan(root: tree.path).files.map { String($0.path.dropFirst(prefix.count)) }
        XCTAssertEqual(names, ["inner/two.png", "linked/three.webp", "one.jpg"])
    }

    func testFileReachableTwiceKeepsItsRealPath() throws {
        // "a-link" sorts before "photos", so a walk in name order would meet the linked path first.
        try link("a-link", to: "photos/inner")
        try link("photos/z-alias.jpg", to: "one.jpg")  // listed before one.jpg
        XCTAssertEqual(try scannedNames(), ["photos/inner/two.png", "photos/one.jpg"])
    }
}
