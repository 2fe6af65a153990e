import Foundation

/// A hub repository plus the revision to fetch, parsed from `owner/name` or `owner/name@revision`.
public struct ModelIdentifier: Sendable, Hashable, CustomStringConvertible {
    public static let defaultRevision = "main"

    public let repository: String
    public let revision: String

    public init(repository: String, revision: String = ModelIdentifier.defaultRevision) throws {
        guard Self.isValidRepository(repository) else { throw ModelStoreError.invalidModelIdentifier(repository) }
        guard !revision.isEmpty, !revision.contains(".."), revision.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw ModelStoreError.invalidModelIdentifier("\(repository)@\(revision)")
        }
        self.repository = repository
        self.revision = revision
    }

    /// Parses `owner/name` or `owner/name@revision`; anything else (paths included) throws.
    public init(parsing text: String) throws {
        if let at = text.lastIndex(of: "@") {
            try self.init(repository: String(text[..<at]), revision: String(text[text.index(after: at)...]))
        } else {
            try self.init(repository: text)
        }
    }

    public var description: String {
        revision == Self.defaultRevision ? repository : "\(repository)@\(revision)"
    }

    /// `owner--name` (main) or `owner--name@revision` with `/` escaped, so each revision gets its own folder.
    public var folderName: String {
        let base = repository.replacingOccurrences(of: "/", with: "--")
        guard revision != Self.defaultRevision else { return base }
        return base + "@" + revision.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
    }

    /// Inverse of `folderName`, used when a folder has no manifest.
    public init?(folderName: String) {
        var base = folderName
        var revision = Self.defaultRevision
        if let at = folderName.lastIndex(of: "@") {
            base = String(folderName[..<at])
            revision = String(folderName[folderName.index(after: at)...])
                .replacingOccurrences(of: "%2F", with: "/").replacingOccurrences(of: "%25", with: "%")
        }
        guard let separator = base.range(of: "--") else { return nil }
        let repository = base.replacingCharacters(in: separator, with: "/")
        guard let identifier = try? ModelIdentifier(repository: repository, revision: revision) else { return nil }
        self = identifier
    }

    /// The hub's rule for repository names: owner and name of letters, digits, `-`, `_`, `.`,
    /// at most 96 characters, no `--` or `..`, not starting or ending with `-` or `.`.
    static func isValidRepository(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return parts.allSatisfy { part in
            guard !part.isEmpty, part.count <= 96, !part.contains("--"), !part.contains("..") else { return false }
            guard let first = part.first, let last = part.last, first != "-", first != ".", last != "-", last != "." else {
                return false
            }
            return part.unicodeScalars.allSatisfy { scalar in
                (scalar.value < 0x80 && CharacterSet.alphanumerics.contains(scalar)) || "-_.".unicodeScalars.contains(scalar)
            }
        }
    }
}

/// The files the CLIP engine reads from a Hugging Face repository.
public enum ModelFiles {
    public static let required = ["config.json", "model.safetensors", "vocab.json", "merges.txt"]
    /// Fetched when the repository has them; a 404 is fine.
    public static let optional = ["tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json"]
    public static var all: [String] { required + optional }
}
