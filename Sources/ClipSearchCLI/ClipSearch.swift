import ArgumentParser

@main
struct ClipSearch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip-search",
        abstract: "Search photos with CLIP embeddings, natively.",
        subcommands: [EmbedCommand.self, TokenizeCommand.self, BenchCommand.self, BenchKernelsCommand.self, BenchTokenizerCommand.self, ModelsCommand.self,
                      IndexCommand.self, SearchCommand.self, ClassifyCommand.self, DuplicatesCommand.self, BenchSearchCommand.self,
                      TrainCommand.self, EvalCommand.self, BenchTrainCommand.self, BenchResNetCommand.self, ServeCommand.self,
                      ExportCommand.self, ThumbnailCommand.self,
                      DemoGalleryCommand.self])
}
