import Foundation

/// One operand of a query: a text, or an image file (an argument naming an existing file).
public enum QueryInput: Sendable, Equatable {
    case text(String)
    case image(path: String)
}

public struct QueryTerm: Sendable, Equatable {
    public var input: QueryInput
    /// Signed weight: `-` makes it negative, `2:` scales it.
    public var weight: Float

    public init(input: QueryInput, weight: Float) {
        self.input = input
        self.weight = weight
    }
}

/// Query algebra over embeddings.
///
/// Grammar (one shell argument per token): `term (('+' | '-') term)*`, where a term is
/// `[weight:]value`; the value is an image when it names an existing file, a text otherwise.
/// Adjacent text arguments with no operator between them form one text, so `search red car`
/// means "red car". Examples: `"golden retriever" + ./beach.jpg - people`, `2:sunset + ./me.jpg`.
///
/// Semantics: every term is embedded and L2-normalised, the query is Σ sign·weight·embedding,
/// renormalised to unit length; scores are cosines to that direction. A negative term pushes
/// results away from it. At least one positive term is required, and terms must not cancel out.
public struct Query: Sendable, Equatable {
    public var terms: [QueryTerm]

    public init(terms: [QueryTerm]) {
        self.terms = terms
    }

    public static func parse(_ arguments: [String], fileExists: (String) -> Bool = Query.isFile) throws -> Query {
        var terms: [QueryTerm] = []
        var sign: Float = 1
        var operatorPending = false
        var lastWasPlainText = false
        for argument in arguments {
            let token = argument.trimmingCharacters(in: .whitespacesAndNewlines)
            if token == "+" || token == "-" {
                guard !terms.isEmpty || token == "-" else { throw SearchError.invalidQuery("'+' needs a term before it") }
                guard !operatorPending else { throw SearchError.invalidQuery("two operators in a row before '\(token)'") }
                sign = token == "-" ? -1 : 1
                operatorPending = true
                lastWasPlainText = false
                continue
            }
            guard !token.isEmpty else { throw SearchError.invalidQuery("empty term") }
            let (weight, value) = try splitWeight(token)
            let input: QueryInput = fileExists(value) ? .image(path: value) : .text(value)
            if case .text(let text) = input, weight == nil, !operatorPending, lastWasPlainText,
               case .text(let previous) = terms[terms.count - 1].input {
                terms[terms.count - 1].input = .text(previous + " " + text)
                continue
            }
            terms.append(QueryTerm(input: input, weight: sign * (weight ?? 1)))
            if case .text = input, weight == nil { lastWasPlainText = true } else { lastWasPlainText = false }
            sign = 1
            operatorPending = false
        }
        guard !operatorPending else { throw SearchError.invalidQuery("the query ends with an operator") }
        guard !terms.isEmpty else { throw SearchError.invalidQuery("no terms; give a text or an image path") }
        guard terms.contains(where: { $0.weight > 0 }) else {
            throw SearchError.invalidQuery("every term is negative; give at least one positive term")
        }
        return Query(terms: terms)
    }

    /// `2:sunset`, `0.5:"sunset"` → (weight, value); quotes kept by a shell are stripped.
    static func splitWeight(_ token: String) throws -> (Float?, String) {
        var weight: Float?
        var value = token
        if let colon = token.firstIndex(of: ":"), colon != token.startIndex {
            let prefix = token[..<colon]
            if prefix.allSatisfy({ $0.isNumber || $0 == "." }), let number = Float(prefix) {
                guard number > 0, number.isFinite else { throw SearchError.invalidQuery("weight \(prefix) must be positive") }
                weight = number
                value = String(token[token.index(after: colon)...])
            }
        }
        if value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" {
            value = String(value.dropFirst().dropLast())
        }
        guard !value.isEmpty else { throw SearchError.invalidQuery("'\(token)' has a weight but no text or image") }
        return (weight, value)
    }

    /// Text terms that end like a photo or video file name (`beach.jpg`, `~/clips/a.mp4`): most likely
    /// a mistyped or missing path that is being searched as text, which the caller should say.
    public var textsNamingFiles: [String] {
        let mediaExtensions = MediaScanner.photoExtensions.union(MediaScanner.videoExtensions)
        return terms.compactMap { term in
            guard case .text(let text) = term.input, !text.contains(where: \.isNewline) else { return nil }
            return mediaExtensions.contains((text as NSString).pathExtension.lowercased()) ? text : nil
        }
    }

    public static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: (path as NSString).expandingTildeInPath, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Σ weight·embedding, renormalised. `embeddings[i]` is the unit embedding of `terms[i]`.
    public func combine(_ embeddings: [[Float]]) throws -> [Float] {
        guard embeddings.count == terms.count, let dimension = embeddings.first?.count else {
            throw SearchError.invalidQuery("internal: \(embeddings.count) embeddings for \(terms.count) terms")
        }
        var sum = [Float](repeating: 0, count: dimension)
        for (term, vector) in zip(terms, embeddings) {
            for index in 0..<dimension { sum[index] += term.weight * vector[index] }
        }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 1e-4 else { throw SearchError.invalidQuery("the terms cancel each other out") }
        return sum.map { $0 / norm }
    }
}
