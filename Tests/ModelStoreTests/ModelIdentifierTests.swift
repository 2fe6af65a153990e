import Foundation
import XCTest
@testable import ModelStore

final class ModelIdentifierTests: XCTestCase {
    func testParsesRepositoryAndRevision() throws {
        let plain = try ModelIdentifier(parsing: "openai/clip-vit-base-patch32")
        XCTAssertEqual(plain.repository, "openai/clip-vit-base-patch32")
        XCTAssertEqual(plain.revision, "main")
        XCTAssertEqual(plain.folderName, "openai--clip-vit-base-patch32")
        let pinned = try ModelIdentifier(parsing: "laion/CLIP-ViT-B-32-laion2B-s34B-b79K@refs/pr/3")
        XCTAssertEqual(pinned.revision, "refs/pr/3")
        XCTAssertEqual(pinned.folderName, "laion--CLIP-ViT-B-32-laion2B-s34B-b79K@refs%2Fpr%2F3")
        XCTAssertEqual(ModelIdentifier(folderName: pinned.folderName), pinned)
        XCTAssertEqual(ModelIdentifier(folderName: plain.folderName), plain)
    }

    func testRejectsPathsAndMalformedIds() {
        for text in ["clip", "./models/clip", "/abs/path", "a/b/c", "owner/", "/name", "own--er/name", "owner/na..me",
                     "owner/-name", "owner/name@", "owner/na me", "owner/name@a..b"] {
            XCTAssertThrowsError(try ModelIdentifier(parsing: text), text) { error in
                guard case ModelStoreError.invalidModelIdentifier = error else { return XCTFail("\(text): \(error)") }
            }
        }
    }

    func testConfigurationFromEnvironment() throws {
        let xdg = ModelStoreConfiguration.fromEnvironment(["HOME": "/home/u", "XDG_CACHE_HOME": "/x/cache"])
        XCTAssertEqual(xdg.modelsDirectory.path, "/x/cache/clip-search/models")
        XCTAssertEqual(xdg.endpoint.absoluteString, "https://huggingface.co")
        XCTAssertNil(xdg.token)
        XCTAssertFalse(xdg.offline)
        let home = ModelStoreConfiguration.fromEnvironment(["HOME": "/home/u"])
        XCTAssertEqual(home.modelsDirectory.path, "/home/u/.cache/clip-search/models")
        let custom = ModelStoreConfiguration.fromEnvironment([
            "HOME": "/home/u", "XDG_CACHE_HOME": "/x", "CLIPSEARCH_CACHE": "/data/cs", "HF_ENDPOINT": "http://mirror.local:8080/",
            "HF_TOKEN": "hf_abc", "HF_HUB_OFFLINE": "1"])
        XCTAssertEqual(custom.modelsDirectory.path, "/data/cs/models")
        XCTAssertEqual(custom.token, "hf_abc")
        XCTAssertTrue(custom.offline)
        let url = try custom.resolveURL(for: try ModelIdentifier(parsing: "o/n@refs/pr/1"), file: "model.safetensors")
        XCTAssertEqual(url.absoluteString, "http://mirror.local:8080/o/n/resolve/refs%2Fpr%2F1/model.safetensors")
        XCTAssertTrue(ModelStoreConfiguration.fromEnvironment(["HOME": "/h"], offline: true).offline)
        XCTAssertFalse(ModelStoreConfiguration.fromEnvironment(["HOME": "/h", "HF_HUB_OFFLINE": "0"]).offline)
    }

    func testRangeAndETagParsing() {
        XCTAssertEqual(HubClient.rangeStart("bytes 100-199/1000"), 100)
        XCTAssertNil(HubClient.rangeStart("items 1-2/3"))
        XCTAssertEqual(HubClient.unquote("W/\"abc\""), "abc")
        XCTAssertEqual(HubClient.unquote("\"abc\""), "abc")
    }
}
