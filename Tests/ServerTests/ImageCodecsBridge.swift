import Foundation
import ImageCodecs

enum ImageCodecsBridge {
    static func decode(_ data: Data) throws -> RGBImage {
        try ImageDecoder.decode(data: data, name: "thumbnail.png")
    }
}
