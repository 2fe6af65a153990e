import ArgumentParser

@main
struct ClipSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip-search",
        abstract: "Search photos with CLIP embeddings, natively.",
        subcommands: [EmbedCommand.self, TokenizeCommand.self, BenchCommand.self])
}
