import Foundation

/// Reads the sections of a Hugging Face `tokenizer.json` that SentencePiece-style tokenizers use
/// (normalizer, pre_tokenizer, model, post_processor, added_tokens, truncation, padding) into pipeline
/// stages. Anything unreadable or unsupported is a one-line `TokenizerError` naming the file and the
/// JSON location (`normalizer.normalizers[1].type`).
struct TokenizerJSONReader {
    let path: String

    /// Reads `url` as a JSON object, with a reader for its values.
    static func open(_ url: URL) throws -> (TokenizerJSONReader, [String: Any]) {
        let json: Any
        do {
            json = try JSONParser.parse([UInt8](try VocabularyFiles.readData(url)))
        } catch let failure as JSONParser.Failure {
            throw TokenizerError.malformedJSON(path: url.path, byteOffset: failure.offset, reason: failure.reason)
        }
        let reader = TokenizerJSONReader(path: url.path)
        return (reader, try reader.object(json, "top level"))
    }

    func failure(_ location: String, _ reason: String) -> TokenizerError {
        .invalidConfiguration(path: path, reason: "\(location): \(reason)")
    }

    func object(_ value: Any?, _ location: String) throws -> [String: Any] {
        guard let object = value as? [String: Any] else { throw failure(location, "expected an object") }
        return object
    }

    func array(_ value: Any?, _ location: String) throws -> [Any] {
        guard let array = value as? [Any] else { throw failure(location, "expected an array") }
        return array
    }

    func string(_ value: Any?, _ location: String) throws -> String {
        guard let string = value as? String else { throw failure(location, "expected a string") }
        return string
    }

    func integer(_ value: Any?, _ location: String) throws -> Int {
        if let integer = value as? Int { return integer }
        guard let number = value as? Double, let integer = Int(exactly: number) else {
            throw failure(location, "expected an integer")
        }
        return integer
    }

    func number(_ value: Any?, _ location: String) throws -> Double {
        if let integer = value as? Int { return Double(integer) }
        guard let number = value as? Double, number.isFinite else { throw failure(location, "expected a number") }
        return number
    }

    func bool(_ value: Any?, default defaultValue: Bool, _ location: String) throws -> Bool {
        guard let value, !(value is JSONParser.Null) else { return defaultValue }
        guard let flag = value as? Bool else { throw failure(location, "expected true or false") }
        return flag
    }

    func type(_ object: [String: Any], _ location: String) throws -> String {
        try string(object["type"], "\(location).type")
    }

    /// A stage's object and its `type`, or nil when the stage is absent (null).
    func typed(_ value: Any?, _ location: String) throws -> (object: [String: Any], type: String)? {
        guard let value, !(value is JSONParser.Null) else { return nil }
        let object = try object(value, location)
        return (object, try type(object, location))
    }

    func pattern(_ value: Any?, _ location: String) throws -> TextPattern {
        do {
            return try TextPattern(json: value)
        } catch let error as TextPattern.PatternError {
            throw failure(location, error.reason)
        }
    }

    /// The stages listed under `key`, each read by `parse` (absent ones left out).
    func sequence<Stage>(_ object: [String: Any], _ key: String, _ location: String,
                         _ parse: (Any?, String) throws -> Stage?) throws -> [Stage] {
        try array(object[key], "\(location).\(key)").enumerated()
            .compactMap { try parse($0.element, "\(location).\(key)[\($0.offset)]") }
    }

    // MARK: - Normalizers

    func normalizer(_ value: Any?, _ location: String) throws -> (any TextNormalizing)? {
        guard let (object, type) = try typed(value, location) else { return nil }
        switch type {
        case "Sequence":
            return NormalizerSequence(try sequence(object, "normalizers", location, normalizer))
        case "Precompiled":
            guard let encoded = object["precompiled_charsmap"], !(encoded is JSONParser.Null) else { return nil }
            guard let data = Data(base64Encoded: try string(encoded, "\(location).precompiled_charsmap")) else {
                throw failure("\(location).precompiled_charsmap", "not base64")
            }
            if data.isEmpty { return nil }
            do {
                return PrecompiledNormalizer(charsMap: try PrecompiledCharsMap([UInt8](data)))
            } catch PrecompiledCharsMap.Failure.malformed(let reason) {
                throw failure("\(location).precompiled_charsmap", reason)
            }
        case "Replace":
            return ReplaceNormalizer(pattern: try pattern(object["pattern"], "\(location).pattern"),
                                     content: Array(try string(object["content"], "\(location).content").utf8))
        case "Prepend":
            return PrependNormalizer(prefix: Array(try string(object["prepend"], "\(location).prepend").utf8))
        case "Strip":
            return StripNormalizer(left: try bool(object["strip_left"], default: true, "\(location).strip_left"),
                                   right: try bool(object["strip_right"], default: true, "\(location).strip_right"))
        case "Lowercase":
            return LowercaseNormalizer()
        case let name:
            guard let form = UnicodeFormNormalizer.Form(rawValue: name) else {
                throw failure("\(location).type", "normalizer \(name.debugDescription) is not supported")
            }
            return UnicodeFormNormalizer(form: form)
        }
    }

    // MARK: - Pre-tokenizers

    func preTokenizer(_ value: Any?, _ location: String) throws -> (any PreTokenizing)? {
        guard let (object, type) = try typed(value, location) else { return nil }
        switch type {
        case "Metaspace":
            let replacement = try string(object["replacement"], "\(location).replacement")
            guard replacement.count == 1, let character = replacement.first else {
                throw failure("\(location).replacement", "expected one character")
            }
            var scheme = MetaspacePreTokenizer.PrependScheme.always
            if let raw = object["prepend_scheme"], !(raw is JSONParser.Null) {
                let name = try string(raw, "\(location).prepend_scheme")
                guard let parsed = MetaspacePreTokenizer.PrependScheme(rawValue: name) else {
                    throw failure("\(location).prepend_scheme", "unknown scheme \(name.debugDescription)")
                }
                scheme = parsed
            }
            // The older form: `add_prefix_space: false` means never.
            if try !bool(object["add_prefix_space"], default: true, "\(location).add_prefix_space") { scheme = .never }
            return MetaspacePreTokenizer(replacement: character, prependScheme: scheme,
                                         splits: try bool(object["split"], default: true, "\(location).split"))
        case "Split":
            let behaviorName = try string(object["behavior"], "\(location).behavior")
            guard let behavior = SplitBehavior(rawValue: behaviorName) else {
                throw failure("\(location).behavior", "unknown behavior \(behaviorName.debugDescription)")
            }
            return SplitPreTokenizer(pattern: try pattern(object["pattern"], "\(location).pattern"),
                                     behavior: behavior,
                                     inverted: try bool(object["invert"], default: false, "\(location).invert"))
        case "WhitespaceSplit":
            return WhitespacePreTokenizer(separatesPunctuation: false)
        case "Sequence":
            return PreTokenizerSequence(try sequence(object, "pretokenizers", location, preTokenizer))
        case "Whitespace":
            return WhitespacePreTokenizer(separatesPunctuation: true)
        case let name:
            throw failure("\(location).type", "pre-tokenizer \(name.debugDescription) is not supported")
        }
    }

    // MARK: - Post-processors

    func postProcessor(_ value: Any?, _ location: String) throws -> TemplatePostProcessor? {
        guard let (object, type) = try typed(value, location) else { return nil }
        switch type {
        case "TemplateProcessing":
            let specials = try self.object(object["special_tokens"], "\(location).special_tokens")
            var prefix: [Int] = [], suffix: [Int] = []
            var seenSequence = false
            for (index, item) in try array(object["single"], "\(location).single").enumerated() {
                let itemLocation = "\(location).single[\(index)]"
                let entry = try self.object(item, itemLocation)
                if entry["Sequence"] != nil {
                    seenSequence = true
                } else if let special = entry["SpecialToken"] {
                    let name = try string(try self.object(special, itemLocation)["id"], "\(itemLocation).SpecialToken.id")
                    let token = try self.object(specials[name], "\(location).special_tokens[\(name.debugDescription)]")
                    let ids = try array(token["ids"], "\(location).special_tokens.ids").map {
                        try integer($0, "\(location).special_tokens[\(name.debugDescription)].ids")
                    }
                    if seenSequence { suffix += ids } else { prefix += ids }
                } else {
                    throw failure(itemLocation, "expected Sequence or SpecialToken")
                }
            }
            return TemplatePostProcessor(prefix: prefix, suffix: suffix)
        case "RobertaProcessing", "BertProcessing":
            func tokenID(_ key: String) throws -> Int {
                let pair = try array(object[key], "\(location).\(key)")
                guard pair.count == 2 else { throw failure("\(location).\(key)", "expected [token, id]") }
                return try integer(pair[1], "\(location).\(key)[1]")
            }
            return TemplatePostProcessor(prefix: [try tokenID("cls")], suffix: [try tokenID("sep")])
        case "ByteLevel":
            return nil
        case "Sequence":
            var prefix: [Int] = [], suffix: [Int] = []
            for (index, item) in try array(object["processors"], "\(location).processors").enumerated() {
                guard let part = try postProcessor(item, "\(location).processors[\(index)]") else { continue }
                prefix = part.prefix + prefix
                suffix += part.suffix
            }
            return TemplatePostProcessor(prefix: prefix, suffix: suffix)
        case let name:
            throw failure("\(location).type", "post-processor \(name.debugDescription) is not supported")
        }
    }

    // MARK: - Added tokens, truncation, padding

    func addedTokens(_ value: Any?) throws -> [AddedToken] {
        guard let value, !(value is JSONParser.Null) else { return [] }
        return try array(value, "added_tokens").enumerated().map { index, item in
            let location = "added_tokens[\(index)]"
            let entry = try object(item, location)
            return AddedToken(
                id: try integer(entry["id"], "\(location).id"),
                content: try string(entry["content"], "\(location).content"),
                singleWord: try bool(entry["single_word"], default: false, "\(location).single_word"),
                leftStrip: try bool(entry["lstrip"], default: false, "\(location).lstrip"),
                rightStrip: try bool(entry["rstrip"], default: false, "\(location).rstrip"),
                normalized: try bool(entry["normalized"], default: true, "\(location).normalized"),
                special: try bool(entry["special"], default: false, "\(location).special"))
        }
    }

    /// The file's own `truncation` and `padding` (Fixed length) settings.
    func shape(truncation: Any?, padding: Any?) throws -> SequenceShape {
        var shape = SequenceShape()
        if let truncation, !(truncation is JSONParser.Null) {
            let object = try object(truncation, "truncation")
            shape.maximumLength = try integer(object["max_length"], "truncation.max_length")
            if let direction = object["direction"] as? String, direction == "Left" { shape.truncationSide = .left }
        }
        if let padding, !(padding is JSONParser.Null) {
            let object = try object(padding, "padding")
            if let strategy = object["strategy"] as? [String: Any], let fixed = strategy["Fixed"] {
                shape.paddedLength = try integer(fixed, "padding.strategy.Fixed")
                shape.paddingID = try integer(object["pad_id"], "padding.pad_id")
                if let direction = object["direction"] as? String, direction == "Left" { shape.paddingSide = .left }
            }
        }
        return shape
    }
}
