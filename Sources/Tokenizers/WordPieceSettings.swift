import Foundation

/// What a BERT tokenizer folder's `tokenizer_config.json` says, with BertTokenizer's defaults for
/// everything it leaves out (a folder may have no such file at all).
public struct WordPieceSettings: Sendable, Equatable {
    public var basicTokenizer = BasicTokenizer()
    /// nil when absent or transformers' "no limit" placeholder (1e30).
    public var modelMaximumLength: Int?
    public var unknownToken = "[UNK]"
    public var classToken = "[CLS]"
    public var separatorToken = "[SEP]"
    public var paddingToken = "[PAD]"
    public var maskToken = "[MASK]"

    public init() {}

    public init(directory: URL) throws {
        let url = directory.appendingPathComponent("tokenizer_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            self.init()
            return
        }
        let data = try VocabularyFiles.readData(url)
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw TokenizerError.malformedJSON(path: url.path, byteOffset: 0, reason: error.localizedDescription)
        }
        guard let json = object as? [String: Any] else {
            throw TokenizerError.invalidConfiguration(path: url.path, reason: "top level is not an object")
        }
        try self.init(json: json, path: url.path)
    }

    public init(json: [String: Any], path: String) throws {
        func flag(_ key: String) throws -> Bool? {
            guard let value = json[key], !(value is NSNull) else { return nil }
            guard let bool = value as? Bool else {
                throw TokenizerError.invalidConfiguration(path: path, reason: "\(key) must be true, false or null, found \(value)")
            }
            return bool
        }
        // AddedToken objects are serialised as {"content": "[UNK]", ...}; older files use plain strings.
        func token(_ key: String, _ fallback: String) throws -> String {
            guard let value = json[key], !(value is NSNull) else { return fallback }
            if let text = value as? String, !text.isEmpty { return text }
            if let object = value as? [String: Any], let text = object["content"] as? String, !text.isEmpty { return text }
            throw TokenizerError.invalidConfiguration(path: path, reason: "\(key) must be a token string, found \(value)")
        }
        if let tokenizerClass = json["tokenizer_class"] as? String,
           !["BertTokenizer", "BertTokenizerFast", "ChineseCLIPTokenizer"].contains(tokenizerClass) {
            throw TokenizerError.invalidConfiguration(
                path: path, reason: "tokenizer_class '\(tokenizerClass)' is not a BERT WordPiece tokenizer")
        }
        if try flag("do_basic_tokenize") == false {
            throw TokenizerError.invalidConfiguration(path: path, reason: "do_basic_tokenize false is not supported")
        }
        basicTokenizer = BasicTokenizer(
            lowercases: try flag("do_lower_case") ?? true, stripsAccents: try flag("strip_accents"),
            splitsChineseCharacters: try flag("tokenize_chinese_chars") ?? true,
            splitsOnPunctuation: try flag("do_split_on_punc") ?? true)
        if let value = json["model_max_length"], !(value is NSNull) {
            guard let number = value as? NSNumber, !(value is Bool), number.doubleValue >= 2 else {
                throw TokenizerError.invalidConfiguration(path: path, reason: "model_max_length must be a number ≥ 2, found \(value)")
            }
            modelMaximumLength = number.doubleValue > 1_000_000 ? nil : number.intValue
        }
        unknownToken = try token("unk_token", unknownToken)
        classToken = try token("cls_token", classToken)
        separatorToken = try token("sep_token", separatorToken)
        paddingToken = try token("pad_token", paddingToken)
        maskToken = try token("mask_token", maskToken)
    }
}
