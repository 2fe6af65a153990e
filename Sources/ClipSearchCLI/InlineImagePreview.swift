import ArgumentParser
import Foundation
import ImageCodecs

/// Thumbnails in the terminal: kitty's graphics protocol (raw RGB, so no encoder is needed),
/// iTerm2's inline images (the file's own bytes) or DEC sixel (SixelEncoder). Anything else gets
/// no preview and no escape codes.
enum InlineImagePreview: String, CaseIterable, ExpressibleByArgument {
    case kitty
    case iTerm2 = "iterm2"
    case sixel

    static let thumbnailWidth = 160
    static let thumbnailHeight = 160

    /// An explicit choice (`--preview-protocol`, else `CLIPSEARCH_PREVIEW`) is obeyed even when
    /// stdout is not a terminal (e.g. `| less -R`). Otherwise only a terminal that identifies itself
    /// is trusted: guessing wrong would print kilobytes of garbage, and terminals cannot be asked
    /// whether they support sixel without reading their reply from stdin.
    static func choose(requested: InlineImagePreview?, environment: [String: String] = ProcessInfo.processInfo.environment,
                       isTerminal: Bool = isatty(STDOUT_FILENO) == 1) -> InlineImagePreview? {
        if let requested { return requested }
        if let named = environment["CLIPSEARCH_PREVIEW"]?.lowercased(), !named.isEmpty {
            return InlineImagePreview(rawValue: named)
        }
        guard isTerminal else { return nil }
        let terminal = (environment["TERM"] ?? "").lowercased()
        if environment["KITTY_WINDOW_ID"] != nil || terminal.contains("kitty") { return .kitty }
        if environment["TERM_PROGRAM"] == "iTerm.app" || environment["LC_TERMINAL"] == "iTerm2" { return .iTerm2 }
        if terminal.contains("sixel") || terminal.hasPrefix("foot") || terminal.hasPrefix("mlterm") { return .sixel }
        return nil
    }

    func show(path: String) {
        let url = URL(fileURLWithPath: path)
        switch self {
        case .kitty:
            guard let small = try? ImageDecoder.thumbnail(fileAt: url, maximumWidth: Self.thumbnailWidth, maximumHeight: Int.max) else { return }
            let payload = Data(small.pixels).base64EncodedString()
            var chunks: [Substring] = []
            var rest = Substring(payload)
            while !rest.isEmpty { chunks.append(rest.prefix(4096)); rest = rest.dropFirst(4096) }
            var text = ""
            for (index, chunk) in chunks.enumerated() {
                let more = index + 1 < chunks.count ? 1 : 0
                let control = index == 0 ? "a=T,f=24,s=\(small.width),v=\(small.height),m=\(more)" : "m=\(more)"
                text += "\u{1B}_G\(control);\(chunk)\u{1B}\\"
            }
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
        case .iTerm2:
            guard let data = try? Data(contentsOf: url), data.count <= 8 << 20 else { return }
            let name = Data((path as NSString).lastPathComponent.utf8).base64EncodedString()
            let text = "\u{1B}]1337;File=name=\(name);size=\(data.count);width=\(Self.thumbnailWidth)px;inline=1:\(data.base64EncodedString())\u{07}\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        case .sixel:
            guard let small = try? ImageDecoder.thumbnail(fileAt: url, maximumWidth: Self.thumbnailWidth, maximumHeight: Self.thumbnailHeight) else { return }
            FileHandle.standardOutput.write(Data((SixelEncoder.encode(small) + "\n").utf8))
        }
    }
}
