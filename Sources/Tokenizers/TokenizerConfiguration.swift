import Foundation

/// The parts of a Hugging Face `tokenizer_config.json` that shape encoding: the tokenizer class, special
/// tokens, added tokens, case and prefix options, and lengths.
public struct TokenizerConfiguration: Sendable, Equatable {
    public var tokenizerClass: String?
    /// `model_max_length`, nil when absent or the "no limit" placeholder (1e30).
    public var modelMaximumLength: Int?
    public var beginningToken: String?
    public var endToken: String?
    public var unknownToken: String?
    public var paddingToken: String?
    /// Special token names (`bos_token`, `eos_token`, … and `additional_special_tokens`).
    public var specialTokens: [String] = []
    /// `added_tokens_decoder`, by id.
    public var addedTokens: [AddedToken] = []
    public var lowercases = false
    public var addsBeginningToken: Bool?
    public var addsEndToken: Bool?
    /// transformers' `legacy` flag of T5 and Llama tokenizers (nil: the class default, legacy).
    public var legacy: Bool?
    public var addsPrefixSpace: Bool?
    public var paddingSide: SequenceShape.Side?
    public var truncationSide: SequenceShape.Side?

    public init() {}

    /// Reads `url`; a missing file gives the defaults.
    public init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let (reader, root) = try TokenizerJSONReader.open(url)
        func optionalString(_ key: String) throws -> String? {
            guard let value = root[key], !(value is JSONParser.Null) else { return nil }
            return try reader.string(value, key)
        }
        /// A token written as a string or as a serialized AddedToken (`{"content": …}`).
        func token(_ key: String) throws -> String? {
            guard let value = root[key], !(value is JSONParser.Null) else { return nil }
            if let object = value as? [String: Any] { return try reader.string(object["content"], "\(key).content") }
            return try reader.string(value, key)
        }
        func optionalBool(_ key: String) throws -> Bool? {
            guard let value = root[key], !(value is JSONParser.Null) else { return nil }
            return try reader.bool(value, default: false, key)
        }
        func side(_ key: String) throws -> SequenceShape.Side? {
            guard let name = try optionalString(key) else { return nil }
            guard let side = SequenceShape.Side(rawValue: name) else {
                throw reader.failure(key, "expected \"left\" or \"right\", found \(name.debugDescription)")
            }
            return side
        }
        tokenizerClass = try optionalString("tokenizer_class")
        if let value = root["model_max_length"], !(value is JSONParser.Null) {
            let length = try reader.number(value, "model_max_length")
            guard length >= 1 else { throw reader.failure("model_max_length", "must be at least 1") }
            modelMaximumLength = length > 1_000_000 ? nil : Int(length)
        }
        beginningToken = try token("bos_token")
        endToken = try token("eos_token")
        unknownToken = try token("unk_token")
        paddingToken = try token("pad_token")
        for key in ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] {
            if let name = try token(key), !specialTokens.contains(name) { specialTokens.append(name) }
        }
        if let additional = root["additional_special_tokens"], !(additional is JSONParser.Null) {
            for (index, item) in try reader.array(additional, "additional_special_tokens").enumerated() {
                let location = "additional_special_tokens[\(index)]"
                let name = try (item as? [String: Any]).map { try reader.string($0["content"], location) }
                    ?? reader.string(item, location)
                if !specialTokens.contains(name) { specialTokens.append(name) }
            }
        }
        if let decoder = root["added_tokens_decoder"], !(decoder is JSONParser.Null) {
            for (key, value) in try reader.object(decoder, "added_tokens_decoder") {
                let location = "added_tokens_decoder[\(key.debugDescription)]"
                guard let id = Int(key), id >= 0 else { throw reader.failure(location, "key is not an id") }
                let entry = try reader.object(value, location)
                addedTokens.append(AddedToken(
                    id: id, content: try reader.string(entry["content"], "\(location).content"),
                    singleWord: try reader.bool(entry["single_word"], default: false, "\(location).single_word"),
                    leftStrip: try reader.bool(entry["lstrip"], default: false, "\(location).lstrip"),
                    rightStrip: try reader.bool(entry["rstrip"], default: false, "\(location).rstrip"),
                    normalized: try reader.bool(entry["normalized"], default: false, "\(location).normalized"),
                    special: try reader.bool(entry["special"], default: false, "\(location).special")))
            }
            addedTokens.sort { $0.id < $1.id }
        }
        lowercases = try optionalBool("do_lower_case") ?? false
        addsBeginningToken = try optionalBool("add_bos_token")
        addsEndToken = try optionalBool("add_eos_token")
        legacy = try optionalBool("legacy")
        addsPrefixSpace = try optionalBool("add_prefix_space")
        paddingSide = try side("padding_side")
        truncationSide = try side("truncation_side")
    }
}
