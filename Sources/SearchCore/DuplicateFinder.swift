import Catalog
import VectorIndex

public struct DuplicateReport: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var mediaID: Int64
        public var path: String
        /// Cosine to the group's first member.
        public var score: Float
        /// Pixel correlation with the group's first member (PhotoSignature), nil when unverified.
        public var pixelScore: Float?
    }

    public var members: [Member]
    /// Lowest cosine between any two members.
    public var minimumScore: Float
    /// Every member was confirmed by comparing pixels with another member.
    public var verified: Bool
}

/// How `DuplicateFinder` decides that photos belong together.
public enum DuplicateMode: Sendable, Equatable {
    /// Cosine ≥ the threshold proposes a pair; comparing the pixels confirms it. Only copies of the
    /// same photo group, whatever the model and its calibration.
    case verified
    /// Cosine ≥ the threshold is enough: also groups bursts and other shots of one scene.
    case similar
}

public enum DuplicateFinder {
    /// Candidate cosine for `.verified`: deliberately loose, as the pixel check decides. CLIP
    /// ViT-B/32 puts resized, recompressed and slightly cropped copies above ~0.93.
    public static let candidateThreshold: Float = 0.85
    /// Cosine for `.similar` (distinct shots of one scene mostly score 0.85–0.93 with ViT-B/32).
    public static let similarThreshold: Float = 0.90

    public static func defaultThreshold(for mode: DuplicateMode) -> Float {
        mode == .verified ? candidateThreshold : similarThreshold
    }

    /// The model whose vectors to compare: the given one, or the catalog's only model.
    public static func modelID(catalog: Catalog, requested: String?) throws -> String {
        let models = try catalog.models().filter { $0.embeddingCount > 0 }
        if let requested {
            guard models.contains(where: { $0.id == requested }) else {
                if models.isEmpty { throw SearchError.emptyCatalog(path: catalog.path) }
                throw SearchError.modelMismatch(requested: requested, requestedName: requested, available: models.map { "\($0.name) (\($0.id))" })
            }
            return requested
        }
        guard let only = models.first else { throw SearchError.emptyCatalog(path: catalog.path) }
        guard models.count == 1 else {
            throw SearchError.invalidOption(name: "--model", reason: "the catalog holds vectors of several models ("
                + models.map { "\($0.name) \($0.id)" }.joined(separator: ", ") + "); choose one with --model")
        }
        return only.id
    }

    /// Near-duplicate groups among the photos of `modelID`, largest groups first. Photos that can
    /// no longer be read are left out of verified groups and listed in `unreadable`.
    public static func find(catalog: Catalog, modelID: String, mode: DuplicateMode = .verified,
                            threshold: Float? = nil) throws -> (groups: [DuplicateReport], unreadable: [String]) {
        let table = try catalog.loadEmbeddings(modelID: modelID, mediaType: .photo)
        guard table.count > 1 else { return ([], []) }
        let cosineThreshold = threshold ?? defaultThreshold(for: mode)
        let candidates = try NearDuplicates.groups(vectors: table.vectors, dimension: table.dimension, threshold: cosineThreshold)
        func member(_ row: Int, score: Float, pixelScore: Float?) -> DuplicateReport.Member {
            let entry = table.entries[row]
            return DuplicateReport.Member(mediaID: entry.mediaID, path: entry.path, score: score, pixelScore: pixelScore)
        }
        guard mode == .verified else {
            let groups = candidates.map { group in
                DuplicateReport(members: group.members.map { member($0.row, score: $0.score, pixelScore: nil) },
                                minimumScore: group.minimumScore, verified: false)
            }
            return (groups, [])
        }
        let paths = table.entries.map(\.path)
        var groups: [DuplicateReport] = []
        var unreadable: [String] = []
        for candidate in candidates {
            // Candidate groups never share photos: one verifier each keeps memory to one group.
            var verifier = PixelVerifier(paths: paths)
            defer { unreadable += verifier.unreadable }
            let rows = candidate.members.map(\.row)
            let cosine = { (a: Int, b: Int) in dot(table.vectors, a, b, dimension: table.dimension) }
            for component in verifier.confirmedGroups(rows: rows, cosine: cosine, threshold: cosineThreshold) {
                // The most central member by cosine represents the group, as NearDuplicates does.
                let center = component.max { a, b in
                    component.reduce(0) { $0 + cosine(a, $1) } < component.reduce(0) { $0 + cosine(b, $1) }
                } ?? component[0]
                var minimum: Float = 1
                for (index, a) in component.enumerated() {
                    for b in component[(index + 1)...] { minimum = min(minimum, cosine(a, b)) }
                }
                let members = component.map { row in
                    member(row, score: row == center ? 1 : cosine(center, row),
                           pixelScore: row == center ? 1 : verifier.similarity(center, row))
                }.sorted { ($0.score, $1.path) > ($1.score, $0.path) }
                groups.append(DuplicateReport(members: members, minimumScore: minimum, verified: true))
            }
        }
        groups.sort { ($0.members.count, $1.members[0].path) > ($1.members.count, $0.members[0].path) }
        return (groups, unreadable.sorted())
    }

    static func dot(_ vectors: [Float], _ a: Int, _ b: Int, dimension: Int) -> Float {
        var sum: Float = 0
        for index in 0..<dimension { sum += vectors[a * dimension + index] * vectors[b * dimension + index] }
        return sum
    }
}

/// Loads each photo's signature once, compares each pair once, and links candidate pairs whose
/// pixels agree.
struct PixelVerifier {
    let paths: [String]
    private var signatures: [Int: PhotoSignature?] = [:]
    private var scores: [Int: [Int: Float]] = [:]
    private(set) var unreadable: [String] = []

    init(paths: [String]) { self.paths = paths }

    /// Signatures already made (no files are read).
    init(signatures: [PhotoSignature]) {
        paths = signatures.indices.map { "#\($0)" }
        self.signatures = Dictionary(uniqueKeysWithValues: signatures.enumerated().map { ($0.offset, $0.element) })
    }

    mutating func signature(_ row: Int) -> PhotoSignature? {
        if let cached = signatures[row] { return cached }
        let loaded = try? PhotoSignature.load(path: paths[row])
        if loaded == nil { unreadable.append(paths[row]) }
        signatures[row] = loaded
        return loaded
    }

    mutating func similarity(_ a: Int, _ b: Int) -> Float? {
        let (low, high) = (min(a, b), max(a, b))
        if let known = scores[low]?[high] { return known }
        guard let first = signature(low), let second = signature(high) else { return nil }
        let score = PhotoSignature.similarity(first, second)
        scores[low, default: [:]][high] = score
        return score
    }

    /// Connected components (two or more rows) of the pairs with cosine ≥ threshold whose pixels match.
    mutating func confirmedGroups(rows: [Int], cosine: (Int, Int) -> Float, threshold: Float) -> [[Int]] {
        var parent = Dictionary(uniqueKeysWithValues: rows.map { ($0, $0) })
        func root(_ row: Int) -> Int {
            var node = row
            while let next = parent[node], next != node { node = next }
            return node
        }
        for (index, a) in rows.enumerated() {
            for b in rows[(index + 1)...] where root(a) != root(b) && cosine(a, b) >= threshold {
                if let score = similarity(a, b), score >= PhotoSignature.sameThreshold {
                    let (first, second) = (root(a), root(b))
                    parent[max(first, second)] = min(first, second)
                }
            }
        }
        var components: [Int: [Int]] = [:]
        for row in rows { components[root(row), default: []].append(row) }
        return components.values.filter { $0.count > 1 }.sorted { $0[0] < $1[0] }
    }
}
