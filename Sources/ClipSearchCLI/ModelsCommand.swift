import ArgumentParser
import CLIPModels
import Foundation
import ModelStore

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, download and describe CLIP models from the Hugging Face hub.",
        discussion: """
            Models are cached in ${CLIPSEARCH_CACHE:-${XDG_CACHE_HOME:-~/.cache}/clip-search}/models/<owner>--<name>/. \
            HF_ENDPOINT picks another hub, HF_TOKEN is sent for private or gated repositories and \
            HF_HUB_OFFLINE=1 uses the cache only.
            """,
        subcommands: [ModelsListCommand.self, ModelsPullCommand.self, ModelsInfoCommand.self])
}

struct ModelsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Show cached models: id, size on disk, whether every required file is there.")

    func run() throws {
        let cache = ModelCache(configuration: .fromEnvironment())
        let models = try cache.listCachedModels()
        guard !models.isEmpty else {
            print("no models cached in \(cache.configuration.modelsDirectory.path)")
            return
        }
        var rows = [["ID", "SIZE", "COMPLETE", "COMMIT"]]
        for model in models {
            var state = model.isComplete ? "yes" : "no (missing \(model.missingRequiredFiles.joined(separator: ", ")))"
            if !model.partialFiles.isEmpty { state += ", partial: \(model.partialFiles.joined(separator: ", "))" }
            rows.append([model.identifier.description, StandardErrorProgressReporter.bytes(model.totalBytes), state,
                         model.commit.map { String($0.prefix(12)) } ?? "-"])
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  "))
        }
    }
}

struct ModelsPullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download a model (or update it) into the cache and print its folder.",
        discussion: "Partial downloads resume; LFS files are checked against the hub's SHA-256.")

    @Argument(help: "Hub repository id, optionally with @revision (branch, tag, commit).")
    var model: String = ModelResolver.defaultModel

    @Option(help: "Revision to fetch (overrides an @revision in the id).")
    var revision: String?

    func run() throws {
        var identifier = try ModelIdentifier(parsing: model)
        if let revision { identifier = try ModelIdentifier(repository: identifier.repository, revision: revision) }
        let pulled = try ModelCache(configuration: .fromEnvironment()).pull(identifier)
        print(pulled.directory.path)
    }
}

struct ModelsInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a cached model or a model folder: towers, projection, weights, files. Never downloads.")

    @Argument(help: "Hub id of a cached model, or a model folder.")
    var model: String = ModelResolver.defaultModel

    func run() throws {
        let cache = ModelCache(configuration: .fromEnvironment(offline: true))
        // Offline resolution: a folder as it is, a hub id only from the cache.
        let directory = try ModelResolver.resolve(model, store: cache)
        let family = try ModelFamilyLoader.family(of: directory)
        guard family.name == "clip" else {
            try describeOtherFamily(family, directory: directory)
            return
        }
        let configuration = try CLIPConfiguration.load(fileAt: directory.appendingPathComponent("config.json"))
        let vision = configuration.vision, text = configuration.text
        print("model:       \(model)")
        print("folder:      \(directory.path)")
        if let identifier = try? ModelIdentifier(parsing: model), let commit = cache.cachedModel(identifier).commit {
            print("commit:      \(commit)")
        }
        print("family:      \(configuration.modelType)")
        print("vision:      width \(vision.transformer.hiddenSize), layers \(vision.transformer.layerCount), "
              + "heads \(vision.transformer.headCount), patch \(vision.patchSize), image \(vision.imageSize) "
              + "(\(vision.patchesPerSide)×\(vision.patchesPerSide) patches), \(vision.transformer.activation.rawValue)")
        print("text:        width \(text.transformer.hiddenSize), layers \(text.transformer.layerCount), "
              + "heads \(text.transformer.headCount), vocabulary \(text.vocabularySize), context \(text.maximumPositions), "
              + "\(text.transformer.activation.rawValue)")
        print("projection:  \(configuration.projectionDimension)")
        print("weights:     \(weightsSummary(directory))")
        print("files:")
        for name in ModelFiles.all {
            let path = directory.appendingPathComponent(name).path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let size = (attributes[.size] as? NSNumber)?.int64Value else {
                print("  \(name.padding(toLength: 26, withPad: " ", startingAt: 0))\(ModelFiles.required.contains(name) ? "MISSING" : "-")")
                continue
            }
            print("  \(name.padding(toLength: 26, withPad: " ", startingAt: 0))\(StandardErrorProgressReporter.bytes(size))")
        }
    }

    /// OpenCLIP and Chinese-CLIP folders: the sizes the loaded model reports and its weight files.
    private func describeOtherFamily(_ family: ModelFamilyLoader, directory: URL) throws {
        let loaded = try family.loadModel(directory)
        print("model:       \(model)")
        print("folder:      \(directory.path)")
        print("family:      \(loaded.family)")
        print("towers:      \(String(describing: type(of: loaded)))")
        print("image:       \(loaded.imageSize)×\(loaded.imageSize) input")
        print("text:        context \(loaded.maximumTextPositions) tokens")
        print("projection:  \(loaded.projectionDimension)")
        print("files:")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        for name in names {
            let path = directory.appendingPathComponent(name).path
            guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber else { continue }
            let format = name.hasSuffix(".safetensors") ? "  (safetensors)" : name.hasSuffix(".bin") || name.hasSuffix(".pt") ? "  (PyTorch zip + pickle)" : ""
            print("  \(name.padding(toLength: 32, withPad: " ", startingAt: 0))\(StandardErrorProgressReporter.bytes(size.int64Value))\(format)")
        }
    }

    private func weightsSummary(_ directory: URL) -> String {
        let url = directory.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else { return "model.safetensors missing" }
        do {
            let file = try SafeTensorsFile(fileAt: url)
            var parameters = 0
            var countsByType: [String: Int] = [:]
            for entry in file.entries.values {
                parameters += entry.shape.reduce(1, *)
                countsByType[entry.dataType, default: 0] += 1
            }
            let types = countsByType.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            let millions = String(format: "%.1f", Double(parameters) / 1e6)
            return "safetensors, \(file.entries.count) tensors, \(millions)M parameters, dtypes \(types)"
        } catch {
            return "unreadable: \(error)"
        }
    }
}
