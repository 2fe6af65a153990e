import Foundation

/// The fields of SentencePiece's `ModelProto` (`sentencepiece_model.proto`) that encoding uses: the pieces with
/// their scores and types, the trainer options that change encoding, and the normalizer spec. Read with a
/// small wire-format reader rather than generated swift-protobuf code: about fifteen scalar fields are
/// needed, and a hand-written reader keeps the package free of a code generator and a large dependency,
/// while reporting truncated or corrupted files as one-line errors with the byte offset.
public struct SentencePieceModelFile: Sendable, Equatable {
    public enum PieceType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public struct Piece: Sendable, Equatable {
        public var text: String
        public var score: Float
        public var type: PieceType
    }

    public enum ModelType: Int, Sendable {
        case unigram = 1, bpe = 2, word = 3, character = 4
    }

    /// `TrainerSpec` fields that shape encoding (the rest only matter while training).
    public struct TrainerOptions: Sendable, Equatable {
        public var modelType: ModelType = .unigram
        public var byteFallback = false
        public var treatWhitespaceAsSuffix = false
        public var unknownID: Int = 0
        public var beginningOfSentenceID: Int = 1
        public var endOfSentenceID: Int = 2
        public var paddingID: Int = -1

        public init() {}
    }

    /// `NormalizerSpec`, with the proto's defaults.
    public struct NormalizerOptions: Sendable, Equatable {
        public var name = ""
        public var precompiledCharsMap: [UInt8] = []
        public var addDummyPrefix = true
        public var removeExtraWhitespaces = true
        public var escapeWhitespaces = true

        public init() {}
    }

    public var pieces: [Piece] = []
    public var trainer = TrainerOptions()
    public var normalizer = NormalizerOptions()

    public init(pieces: [Piece], trainer: TrainerOptions = TrainerOptions(),
                normalizer: NormalizerOptions = NormalizerOptions()) {
        self.pieces = pieces
        self.trainer = trainer
        self.normalizer = normalizer
    }

    /// Reads `url` (`spiece.model`, `sentencepiece.bpe.model`, `tokenizer.model`).
    public init(contentsOf url: URL) throws {
        let data = try VocabularyFiles.readData(url)
        do {
            try self.init(bytes: [UInt8](data))
        } catch let failure as ProtobufReader.Failure {
            throw TokenizerError.malformedModel(
                path: url.path, reason: "\(failure.reason) at byte \(failure.offset)")
        }
    }

    /// Parses a serialized `ModelProto`; throws `ProtobufReader.Failure`.
    init(bytes: [UInt8]) throws {
        var reader = ProtobufReader(bytes)
        var pieces: [Piece] = [], trainer = TrainerOptions(), normalizer = NormalizerOptions()
        try reader.forEachField { field, reader in
            switch field.number {
            case 1:
                var message = try reader.message(field)
                pieces.append(try Self.readPiece(&message, at: field.offset))
            case 2:
                var message = try reader.message(field)
                trainer = try Self.readTrainer(&message)
            case 3:
                var message = try reader.message(field)
                normalizer = try Self.readNormalizer(&message)
            default:
                return false
            }
            return true
        }
        guard !pieces.isEmpty else {
            throw ProtobufReader.Failure(offset: 0, reason: "no pieces (not a SentencePiece model)")
        }
        self.init(pieces: pieces, trainer: trainer, normalizer: normalizer)
    }

    private static func readPiece(_ reader: inout ProtobufReader, at offset: Int) throws -> Piece {
        var piece = Piece(text: "", score: 0, type: .normal)
        try reader.forEachField { field, reader in
            switch field.number {
            case 1: piece.text = try reader.string(field)
            case 2: piece.score = try reader.float(field)
            case 3:
                let raw = try reader.varint(field)
                guard raw <= 6, let type = PieceType(rawValue: Int(raw)) else {
                    throw ProtobufReader.Failure(offset: field.offset, reason: "unknown piece type \(raw)")
                }
                piece.type = type
            default: return false
            }
            return true
        }
        guard !piece.text.isEmpty else { throw ProtobufReader.Failure(offset: offset, reason: "empty piece") }
        guard piece.score.isFinite else {
            throw ProtobufReader.Failure(offset: offset, reason: "piece \(piece.text.debugDescription) has score \(piece.score)")
        }
        return piece
    }

    private static func readTrainer(_ reader: inout ProtobufReader) throws -> TrainerOptions {
        var options = TrainerOptions()
        try reader.forEachField { field, reader in
            switch field.number {
            case 3:
                let raw = try reader.varint(field)
                guard raw <= 4, let type = ModelType(rawValue: Int(raw)) else {
                    throw ProtobufReader.Failure(offset: field.offset, reason: "unknown model type \(raw)")
                }
                options.modelType = type
            case 24: options.treatWhitespaceAsSuffix = try reader.bool(field)
            case 35: options.byteFallback = try reader.bool(field)
            case 40...43:
                let ids: [WritableKeyPath<TrainerOptions, Int>] = [
                    \.unknownID, \.beginningOfSentenceID, \.endOfSentenceID, \.paddingID,
                ]
                options[keyPath: ids[field.number - 40]] = try reader.int32(field)
            default: return false
            }
            return true
        }
        return options
    }

    private static func readNormalizer(_ reader: inout ProtobufReader) throws -> NormalizerOptions {
        var options = NormalizerOptions()
        try reader.forEachField { field, reader in
            switch field.number {
            case 1: options.name = try reader.string(field)
            case 2: options.precompiledCharsMap = try reader.bytes(field)
            case 3...5:
                let flags: [WritableKeyPath<NormalizerOptions, Bool>] = [
                    \.addDummyPrefix, \.removeExtraWhitespaces, \.escapeWhitespaces,
                ]
                options[keyPath: flags[field.number - 3]] = try reader.bool(field)
            default: return false
            }
            return true
        }
        return options
    }
}
