import Foundation
import ImageCodecs

/// Thumbnails in the terminal: kitty's graphics protocol (raw RGB, so no encoder is needed) or
/// iTerm2's inline images (the file's own bytes). Anything else gets no preview.
enum InlineImagePreview {
    case kitty
    case iTerm2

    static let thumbnailWidth = 160

    static func forCurrentTerminal(environment: [String: String] = ProcessInfo.processInfo.environment) -> InlineImagePreview? {
        guard isatty(STDOUT_FILENO) == 1 else { return nil }
        if environment["KITTY_WINDOW_ID"] != nil || (environment["TERM"] ?? "").contains("kitty") { return .kitty }
        if environment["TERM_PROGRAM"] == "iTerm.app" || environment["LC_TERMINAL"] == "iTerm2" { return .iTerm2 }
        return nil
    }

    func show(path: String) {
        switch self {
        case .kitty:
            guard let image = try? ImageDecoder.decode(fileAt: URL(fileURLWithPath: path), jpegScaleDenominator: 4) else { return }
            let width = min(Self.thumbnailWidth, image.width)
            let height = max(1, image.height * width / max(1, image.width))
            let small = Resampler.resize(image, width: width, height: height, filter: .bicubic)
            let payload = Data(small.pixels).base64EncodedString()
            var chunks: [Substring] = []
            var rest = Substring(payload)
            while !rest.isEmpty { chunks.append(rest.prefix(4096)); rest = rest.dropFirst(4096) }
            var text = ""
            for (index, chunk) in chunks.enumerated() {
                let more = index + 1 < chunks.count ? 1 : 0
                let control = index == 0 ? "a=T,f=24,s=\(width),v=\(height),m=\(more)" : "m=\(more)"
                text += "\u{1B}_G\(control);\(chunk)\u{1B}\\"
            }
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
        case .iTerm2:
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)), data.count <= 8 << 20 else { return }
            let name = Data((path as NSString).lastPathComponent.utf8).base64EncodedString()
            let text = "\u{1B}]1337;File=name=\(name);size=\(data.count);width=\(Self.thumbnailWidth)px;inline=1:\(data.base64EncodedString())\u{07}\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
