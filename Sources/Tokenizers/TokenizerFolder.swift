import Foundation

/// Picks and loads the tokenizer a model folder's files describe, the way transformers' `AutoTokenizer`
/// and the model's processor would: `tokenizer.json` (a fast tokenizer), else a SentencePiece model
/// (`spiece.model`, `sentencepiece.bpe.model`, `tokenizer.model`) read with `tokenizer_config.json`, else CLIP's
/// `vocab.json` + `merges.txt`, else BERT's `vocab.txt`. SigLIP and SigLIP 2 folders (`config.json`
/// `model_type`, or a SigLIP tokenizer class) pad and truncate to 64 tokens as their processors do.
public enum TokenizerFolder {
    public static let sentencePieceFileNames = ["spiece.model", "sentencepiece.bpe.model", "tokenizer.model"]

    /// - Parameter maximumLength: the text tower's position count; caps `model_max_length`.
    public static func load(directory: URL, maximumLength: Int? = nil) throws -> any TextTokenizing {
        func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name).path) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TokenizerError.fileNotFound(path: directory.path)
        }
        var configuration = try TokenizerConfiguration(contentsOf: file("tokenizer_config.json"))
        if let maximumLength {
            configuration.modelMaximumLength = min(configuration.modelMaximumLength ?? maximumLength, maximumLength)
        }
        let tokenizerClass = configuration.tokenizerClass ?? ""
        let modelType = try Self.modelType(file("config.json"))
        let isSiglip2 = modelType == "siglip2" || tokenizerClass.hasPrefix("Siglip2")
        let isSiglip = !isSiglip2 && (modelType == "siglip" || tokenizerClass.hasPrefix("Siglip"))
        let expectedModelFile = Self.sentencePieceFileName(forClass: tokenizerClass)

        // transformers has no fast SigLIP tokenizer: its folders are read through spiece.model.
        if exists("tokenizer.json"), !(isSiglip && expectedModelFile.map(exists) == true) {
            var shape = SequenceShape(maximumLength: configuration.modelMaximumLength,
                                      truncationSide: configuration.truncationSide ?? .right)
            if isSiglip || isSiglip2 {
                let length = configuration.modelMaximumLength ?? 64
                shape = SequenceShape(maximumLength: length, truncationSide: configuration.truncationSide ?? .right,
                                      paddedLength: length, paddingSide: configuration.paddingSide ?? .right)
            }
            let tokenizer = try HuggingFaceTokenizer(contentsOf: file("tokenizer.json"), shape: shape,
                                                     lowercasesFirst: isSiglip2)
            guard shape.paddedLength != nil else { return tokenizer }
            let name = configuration.paddingToken ?? (isSiglip ? "</s>" : "<pad>")
            guard let paddingID = tokenizer.id(ofToken: name) else {
                throw TokenizerError.missingSpecialToken(path: file("tokenizer.json").path, token: name)
            }
            shape.paddingID = paddingID
            return tokenizer.reshaped(shape)
        }
        if let expectedModelFile {
            guard exists(expectedModelFile) else { throw TokenizerError.fileNotFound(path: file(expectedModelFile).path) }
            return try SentencePieceTokenizer(modelFile: file(expectedModelFile), configuration: configuration)
        }
        if isSiglip || isSiglip2 {
            throw TokenizerError.fileNotFound(path: file(isSiglip ? "spiece.model" : "tokenizer.json").path)
        }
        if let name = sentencePieceFileNames.first(where: exists) {
            return try SentencePieceTokenizer(modelFile: file(name), configuration: configuration)
        }
        if exists("vocab.json") || exists("merges.txt") {
            let vocabulary = file("vocab.json"), merges = file("merges.txt")
            return try CLIPTokenizer(vocabularyFile: vocabulary, mergesFile: merges,
                                     contextLength: configuration.modelMaximumLength ?? CLIPTokenizer.defaultContextLength)
        }
        if exists("vocab.txt") {
            return try WordPieceTokenizer(directory: directory, maximumContextLength: maximumLength)
        }
        throw TokenizerError.fileNotFound(path: file("tokenizer.json").path
            + " (nor spiece.model, sentencepiece.bpe.model, tokenizer.model, vocab.json + merges.txt or vocab.txt)")
    }

    /// The SentencePiece file a slow tokenizer class reads (`vocab_file` in transformers).
    static func sentencePieceFileName(forClass name: String) -> String? {
        let name = name.replacingOccurrences(of: "Fast", with: "")
        switch name {
        case "SiglipTokenizer", "T5Tokenizer", "MT5Tokenizer", "UMT5Tokenizer": return "spiece.model"
        case "XLMRobertaTokenizer", "CamembertTokenizer": return "sentencepiece.bpe.model"
        case "GemmaTokenizer", "LlamaTokenizer", "CodeLlamaTokenizer": return "tokenizer.model"
        default: return nil
        }
    }

    /// `config.json`'s `model_type`, nil when the file is absent or has none.
    static func modelType(_ url: URL) throws -> String? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let (_, root) = try TokenizerJSONReader.open(url)
        return root["model_type"] as? String
    }
}
