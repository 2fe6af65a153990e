/// Every failure the tokenizer module reports; each message is one line and names the file involved.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    case fileNotFound(path: String)
    case unreadableFile(path: String, reason: String)
    case malformedJSON(path: String, byteOffset: Int, reason: String)
    case malformedMerges(path: String, line: Int, reason: String)
    case unknownMergeToken(path: String, line: Int, token: String)
    case missingToken(path: String, token: String, reason: String)
    case missingSpecialToken(path: String, token: String)
    case invalidConfiguration(path: String, reason: String)
    case malformedModel(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "tokenizer file not found: \(path)"
        case .unreadableFile(let path, let reason):
            return "cannot read tokenizer file \(path): \(reason)"
        case .malformedJSON(let path, let byteOffset, let reason):
            return "malformed JSON in \(path) at byte \(byteOffset): \(reason)"
        case .malformedMerges(let path, let line, let reason):
            return "malformed merges file \(path), line \(line): \(reason)"
        case .unknownMergeToken(let path, let line, let token):
            return "merges file \(path), line \(line): token \(token.debugDescription) is not in the vocabulary"
        case .missingToken(let path, let token, let reason):
            return "vocabulary \(path) lacks token \(token.debugDescription) (\(reason))"
        case .missingSpecialToken(let path, let token):
            return "vocabulary \(path) lacks the special token \(token.debugDescription)"
        case .invalidConfiguration(let path, let reason):
            return "invalid tokenizer configuration \(path): \(reason)"
        case .malformedModel(let path, let reason):
            return "malformed tokenizer model \(path): \(reason)"
        }
    }
}
