import Catalog
import CLIPModels
import Dispatch
import Foundation
import ImageCodecs
import SearchCore

/// The server's search state: one loaded model and a vector snapshot of the catalog, refreshed when
/// an index run (another process, writing through WAL) commits new vectors.
public final class SearchService: @unchecked Sendable {
    public let catalog: Catalog
    public let model: SearchModel
    public let options: ServerOptions
    let imageDecoding: ImageDecoding
    private let lock = NSLock()
    private var searcher: Searcher?
    private var signature: CatalogSignature?
    private var lastCheck: UInt64 = 0
    private var folders: [FolderCount] = []
    /// The model runs one request at a time: two cores gain nothing from parallel forward passes.
    private let modelLock = NSLock()
    private var textCache: [String: [Float]] = [:]
    private var textCacheOrder: [String] = []
    private var classifiers: [String: Classifier] = [:]
    /// Seconds between checks for new commits by an index run.
    public var refreshInterval: Double = 2

    struct CatalogSignature: Equatable {
        var vectors: Int
        var lastRun: Int64?
        var lastRunStatus: String?
        var lastRunCounters: IndexRunCounters?
    }

    public init(catalog: Catalog, model: SearchModel, options: ServerOptions) throws {
        self.catalog = catalog
        self.model = model
        self.options = options
        imageDecoding = ImageDecoding(limits: DecodeLimits(maxPixels: options.maxUploadPixels), scalesJPEG: true)
        try reload()
    }

    /// Loads the current vectors; an empty catalog serves empty results until an index run commits.
    public func reload() throws {
        let signature = try currentSignature()
        var loaded: Searcher?
        do {
            loaded = try Searcher(catalog: catalog, model: model)
        } catch SearchError.emptyCatalog {
            loaded = nil
        }
        let folderCounts = try Self.folderCounts(catalog: catalog)
        lock.withLock {
            searcher = loaded
            self.signature = signature
            folders = folderCounts
            lastCheck = DispatchTime.now().uptimeNanoseconds
        }
    }

    func currentSignature() throws -> CatalogSignature {
        let vectors = try catalog.models().first { $0.id == model.identifier }?.embeddingCount ?? 0
        let last = try catalog.indexRuns().last
        return CatalogSignature(vectors: vectors, lastRun: last?.id, lastRunStatus: last?.status.rawValue, lastRunCounters: last?.counters)
    }

    /// Reloads when the catalog changed since the last look (at most every `refreshInterval`).
    func refreshIfStale() throws {
        let now = DispatchTime.now().uptimeNanoseconds
        let due = lock.withLock { () -> Bool in
            guard Double(now - lastCheck) / 1e9 >= refreshInterval else { return false }
            lastCheck = now
            return true
        }
        guard due else { return }
        let current = try currentSignature()
        if current != lock.withLock({ signature }) { try reload() }
    }

    static func folderCounts(catalog: Catalog) throws -> [FolderCount] {
        var counts: [String: Int] = [:]
        for state in try catalog.mediaStates(under: nil, modelID: "") where state.record.status == .ok {
            counts[(state.record.path as NSString).deletingLastPathComponent, default: 0] += 1
        }
        return counts.map { FolderCount(folder: $0.key, count: $0.value) }.sorted { $0.folder < $1.folder }
    }

    // MARK: - Embedding

    public func embed(texts: [String]) throws -> [[Float]] {
        var vectors = [[Float]?](repeating: nil, count: texts.count)
        var missing: [Int] = []
        lock.withLock {
            for (index, text) in texts.enumerated() {
                if let cached = textCache[text] { vectors[index] = cached } else { missing.append(index) }
            }
        }
        if !missing.isEmpty {
            let computed = try modelLock.withLock { try model.embedder.embed(texts: missing.map { texts[$0] }) }
            lock.withLock {
                for (index, vector) in zip(missing, computed) {
                    vectors[index] = vector
                    if textCache[texts[index]] == nil {
                        textCache[texts[index]] = vector
                        textCacheOrder.append(texts[index])
                    }
                }
                // Bounded: the oldest queries leave first.
                while textCacheOrder.count > 512 { textCache[textCacheOrder.removeFirst()] = nil }
            }
        }
        return vectors.map { $0 ?? [] }
    }

    public func embed(imageData: Data, name: String) throws -> [Float] {
        try modelLock.withLock { try model.embedder.embed(imageData: imageData, name: name, decoding: imageDecoding) }
    }

    /// A catalog item's direction: its vector, or the mean of a video's frames (or the frame at `time`).
    public func vector(mediaID: Int64, time: Double? = nil) throws -> [Float] {
        let frames = try catalog.embeddings(mediaID: mediaID, modelID: model.identifier)
        guard !frames.isEmpty else { throw ServerError.notFound("media \(mediaID) with a vector of this model") }
        if let time, let nearest = frames.min(by: { abs($0.frameTime - time) < abs($1.frameTime - time) }) {
            return nearest.vector
        }
        return Self.unitMean(frames.map(\.vector))
    }

    static func unitMean(_ vectors: [[Float]]) -> [Float] {
        guard let dimension = vectors.first?.count else { return [] }
        var sum = [Float](repeating: 0, count: dimension)
        for vector in vectors { for index in 0..<dimension { sum[index] += vector[index] } }
        let norm = max(sum.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        return sum.map { $0 / norm }
    }

    /// The query direction: Σ weight·unit term, renormalised (the CLI's query algebra).
    public func queryVector(_ request: SearchRequest) throws -> [Float] {
        var terms: [QueryTerm] = []
        var vectors: [[Float]] = []
        let text = request.text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let negative = request.negativeText?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        var texts: [String] = []
        if !text.isEmpty { texts.append(text) }
        if !negative.isEmpty { texts.append(negative) }
        for value in [text.count, negative.count] where value > 1000 {
            throw ServerError.badRequest("a query text may have at most 1000 characters")
        }
        let textVectors = try embed(texts: texts)
        if !text.isEmpty {
            terms.append(QueryTerm(input: .text(text), weight: request.textWeight))
            vectors.append(textVectors[0])
        }
        if let data = request.imageData {
            terms.append(QueryTerm(input: .image(path: request.imageName), weight: request.imageWeight))
            vectors.append(try embed(imageData: data, name: request.imageName))
        }
        if let like = request.likeMediaID {
            terms.append(QueryTerm(input: .image(path: "media \(like)"), weight: request.imageWeight))
            vectors.append(try vector(mediaID: like))
        }
        guard !terms.isEmpty else { throw ServerError.badRequest("give a text (q), an image, or a media id (like) to search with") }
        if !negative.isEmpty {
            terms.append(QueryTerm(input: .text(negative), weight: -1))
            vectors.append(textVectors[textVectors.count - 1])
        }
        for term in terms where !(term.weight.isFinite && term.weight != 0 && abs(term.weight) <= 100) {
            throw ServerError.badRequest("weights must be non-zero numbers within ±100")
        }
        guard terms.contains(where: { $0.weight > 0 }) else { throw ServerError.badRequest("at least one term needs a positive weight") }
        return try Query(terms: terms).combine(vectors)
    }

    // MARK: - Search

    public func search(_ request: SearchRequest) throws -> SearchPage {
        let started = DispatchTime.now().uptimeNanoseconds
        try validate(request)
        let vector = try queryVector(request)
        var page = try rank(vector: vector, request: request, excluding: nil)
        page.tookMs = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        return page
    }

    /// Items like a catalog item (the item itself is left out).
    public func similar(mediaID: Int64, time: Double?, request: SearchRequest) throws -> SearchPage {
        let started = DispatchTime.now().uptimeNanoseconds
        try validate(request)
        guard try catalog.media(id: mediaID) != nil else { throw ServerError.notFound("media \(mediaID)") }
        let vector = try vector(mediaID: mediaID, time: time)
        var page = try rank(vector: vector, request: request, excluding: mediaID)
        page.tookMs = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        return page
    }

    func validate(_ request: SearchRequest) throws {
        guard request.limit >= 1, request.limit <= options.maxResults else {
            throw ServerError.badRequest("limit must be within 1…\(options.maxResults), got \(request.limit)")
        }
        guard request.offset >= 0, request.offset <= 10_000 else { throw ServerError.badRequest("offset must be within 0…10000") }
        if let type = request.mediaType, MediaType(rawValue: type) == nil {
            throw ServerError.badRequest("type must be photo or video, got '\(type)'")
        }
        if let threshold = request.threshold, !(threshold.isFinite && threshold >= -1 && threshold <= 1) {
            throw ServerError.badRequest("threshold must be a cosine within -1…1")
        }
    }

    func rank(vector: [Float], request: SearchRequest, excluding: Int64?) throws -> SearchPage {
        try refreshIfStale()
        guard let searcher = lock.withLock({ searcher }) else {
            return SearchPage(results: [], offset: request.offset, limit: request.limit, hasMore: false, tookMs: 0)
        }
        let filter = MomentFilter(mediaType: request.mediaType.flatMap(MediaType.init(rawValue:)), folder: request.folder,
                                  threshold: request.threshold, excludedMediaID: excluding)
        let wanted = request.offset + request.limit
        let ranked = try MomentSearch(searcher: searcher).search(vector: vector, top: wanted + 1, filter: filter)
        let hits = ranked.map(Self.hit)
        let pageHits = Array(hits.dropFirst(request.offset).prefix(request.limit))
        return SearchPage(results: pageHits, offset: request.offset, limit: request.limit, hasMore: hits.count > wanted, tookMs: 0)
    }

    static func hit(_ result: MomentResult) -> SearchHit {
        let moment = result.moment
        let thumbnail = "/api/media/\(result.mediaID)/thumbnail" + (moment.map { String(format: "?t=%.2f", $0.peakTime) } ?? "")
        return SearchHit(rank: result.rank, score: result.score, mediaId: result.mediaID, path: result.path,
                         folder: (result.path as NSString).deletingLastPathComponent, type: result.mediaType.rawValue,
                         start: moment?.start, end: moment?.end, peak: moment?.peakTime,
                         thumbnailUrl: thumbnail, mediaUrl: "/api/media/\(result.mediaID)/original")
    }

    // MARK: - Classify, stats

    public func classify(vector: [Float], labels: [String]) throws -> [LabelProbability] {
        guard labels.count <= 100, labels.allSatisfy({ $0.count <= 200 }) else {
            throw ServerError.badRequest("give at most 100 labels of at most 200 characters each")
        }
        let key = labels.joined(separator: "\u{1}")
        let classifier: Classifier
        if let cached = lock.withLock({ classifiers[key] }) {
            classifier = cached
        } else {
            classifier = try modelLock.withLock { try Classifier(model: model, labels: labels) }
            lock.withLock {
                if classifiers.count > 32 { classifiers.removeAll() }
                classifiers[key] = classifier
            }
        }
        return classifier.classify(vector: vector).map { LabelProbability(label: $0.label, probability: $0.probability, cosine: $0.cosine) }
    }

    public func statistics() throws -> StatsResponse {
        try refreshIfStale()
        let stats = try catalog.statistics()
        let vectors = stats.models.first { $0.id == model.identifier }?.embeddingCount ?? 0
        return StatsResponse(catalog: catalog.path, media: stats.mediaCount, photos: stats.photoCount, videos: stats.videoCount,
                             failed: stats.failedCount, vectors: vectors, model: model.identifier, modelName: model.name,
                             dimension: model.embedder.dimension, folders: lock.withLock { folders })
    }

    /// A catalog row that is safe to serve: looked up by id, never by a client path.
    public func servableMedia(id: Int64) throws -> MediaRecord {
        guard let record = try catalog.media(id: id), record.status == .ok else { throw ServerError.notFound("media \(id)") }
        return record
    }
}
