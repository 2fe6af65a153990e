import Foundation

/// A SentencePiece model file made ready to encode: its normalizer and its unigram or BPE model, giving the
/// ids `SentencePieceProcessor.encode(text)` gives (no special tokens added).
public struct SentencePieceModel: Sendable {
    public let file: SentencePieceModelFile
    public let normalizer: SentencePieceNormalizer
    public let model: any TokenizationModel
    /// Piece ids by text, as `PieceToId` finds them: control, unknown and byte pieces first.
    private let reservedIDs: [String: Int]
    private let pieceIDs: [String: Int]
    public let unknownID: Int

    public var vocabularySize: Int { file.pieces.count }

    public init(contentsOf url: URL) throws {
        try self.init(file: SentencePieceModelFile(contentsOf: url), path: url.path)
    }

    /// Checks the pieces as `ModelInterface::InitializePieces` does, then builds the normalizer and model.
    public init(file: SentencePieceModelFile, path: String) throws {
        func failure(_ reason: String) -> TokenizerError { .malformedModel(path: path, reason: reason) }
        var reserved: [String: Int] = [:], regular: [String: Int] = [:]
        regular.reserveCapacity(file.pieces.count)
        var unknownID: Int?
        var byteIDs = [Int](repeating: -1, count: 256)
        for (id, piece) in file.pieces.enumerated() {
            let isRegular = piece.type == .normal || piece.type == .userDefined || piece.type == .unused
            if isRegular {
                guard regular.updateValue(id, forKey: piece.text) == nil else {
                    throw failure("piece \(piece.text.debugDescription) is defined twice")
                }
            } else {
                guard reserved.updateValue(id, forKey: piece.text) == nil else {
                    throw failure("piece \(piece.text.debugDescription) is defined twice")
                }
            }
            if piece.type == .unknown {
                guard unknownID == nil else { throw failure("more than one unknown piece") }
                unknownID = id
            }
            if piece.type == .byte {
                guard file.trainer.byteFallback else {
                    throw failure("byte piece \(piece.text.debugDescription) found although byte_fallback is off")
                }
                guard let byte = Self.byteValue(of: piece.text) else {
                    throw failure("invalid byte piece \(piece.text.debugDescription)")
                }
                byteIDs[Int(byte)] = id
            }
        }
        guard let unknownID else { throw failure("no unknown piece (type UNKNOWN)") }
        if file.trainer.byteFallback, byteIDs.contains(-1) {
            throw failure("byte_fallback is on but not all 256 <0xNN> pieces exist")
        }
        let charsMap: PrecompiledCharsMap?
        do {
            charsMap = file.normalizer.precompiledCharsMap.isEmpty
                ? nil : try PrecompiledCharsMap(file.normalizer.precompiledCharsMap)
        } catch PrecompiledCharsMap.Failure.malformed(let reason) {
            throw failure(reason)
        }
        let userDefined = file.pieces.enumerated().filter { $0.element.type == .userDefined }
            .map { (Array($0.element.text.utf8), $0.offset) }
        let userDefinedSymbols = userDefined.isEmpty ? nil : ByteTrie(userDefined)
        normalizer = SentencePieceNormalizer(
            options: file.normalizer, treatWhitespaceAsSuffix: file.trainer.treatWhitespaceAsSuffix,
            charsMap: charsMap, userDefinedSymbols: userDefinedSymbols)
        let fallbackIDs = file.trainer.byteFallback ? byteIDs : nil
        switch file.trainer.modelType {
        case .unigram:
            model = Self.unigram(file.pieces, unknownID: unknownID, byteIDs: fallbackIDs)
        case .bpe:
            let lattice = file.pieces.enumerated().filter {
                $0.element.type == .normal || $0.element.type == .userDefined || $0.element.type == .unused
            }
            model = SentencePieceBPEModel(
                pieces: PieceTable(lattice.map { (Array($0.element.text.utf8), $0.offset) }),
                reservedPieces: PieceTable(reserved.map { (Array($0.key.utf8), $0.value) }),
                scores: file.pieces.map { $0.score }, isUnused: file.pieces.map { $0.type == .unused },
                userDefinedSymbols: userDefinedSymbols, unknownID: unknownID, byteIDs: fallbackIDs)
        case .word, .character:
            throw failure("model type \(file.trainer.modelType) is not supported (unigram and BPE are)")
        }
        self.file = file
        reservedIDs = reserved
        pieceIDs = regular
        self.unknownID = unknownID
    }

    private static func unigram(_ pieces: [SentencePieceModelFile.Piece], unknownID: Int, byteIDs: [Int]?) -> UnigramModel {
        var minimum = Float.greatestFiniteMagnitude, maximum = Float.leastNormalMagnitude
        var lattice: [(text: [UInt8], score: Double, kind: UnigramModel.PieceKind, id: Int)] = []
        for (id, piece) in pieces.enumerated() {
            switch piece.type {
            case .normal:
                minimum = min(minimum, piece.score)
                maximum = max(maximum, piece.score)
                lattice.append((Array(piece.text.utf8), Double(piece.score), .normal, id))
            case .userDefined: lattice.append((Array(piece.text.utf8), Double(piece.score), .userDefined, id))
            case .unused: lattice.append((Array(piece.text.utf8), Double(piece.score), .unused, id))
            case .unknown, .control, .byte: break
            }
        }
        return UnigramModel(rules: .sentencePiece, pieces: lattice, vocabularySize: pieces.count,
                            unknownID: unknownID, byteIDs: byteIDs, minimumScore: Double(minimum),
                            maximumScore: maximum)
    }

    static func byteValue(of piece: String) -> UInt8? { ByteFallbackPiece.byte(piece) }

    /// `SentencePieceProcessor.encode(text)`: normalise, then segment the whole text.
    public func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        encode(utf8: Array(text.utf8), into: &ids)
        return ids
    }

    func encode(utf8 text: [UInt8], into ids: inout [Int]) {
        let normalized = normalizer.normalize(text)
        if !normalized.isEmpty { model.encode(word: normalized, into: &ids) }
    }

    /// `PieceToId`: the id of a piece's text, or the unknown id.
    public func id(ofPiece text: String) -> Int {
        reservedIDs[text] ?? pieceIDs[text] ?? unknownID
    }

    /// Whether `text` is a piece of this model (of any type).
    public func contains(piece text: String) -> Bool {
        reservedIDs[text] != nil || pieceIDs[text] != nil
    }

    public func piece(for id: Int) -> String? {
        file.pieces.indices.contains(id) ? file.pieces[id].text : nil
    }
}

extension SentencePieceModel: TokenizationModel {
    /// As a pipeline stage: a whole SentencePiece encoder (normaliser included) for one stretch of text.
    public func encode(word: [UInt8], into ids: inout [Int]) {
        encode(utf8: word, into: &ids)
    }
}

/// The `<0xNN>` pieces byte fallback uses (two upper-case hex digits, SentencePiece's `ByteToPiece`).
enum ByteFallbackPiece {
    static func name(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
    }

    static func byte(_ piece: String) -> UInt8? {
        let utf8 = Array(piece.utf8)
        guard utf8.count == 6, piece.hasPrefix("<0x"), piece.hasSuffix(">"),
              let value = UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16),
              name(value) == piece else { return nil }
        return value
    }
}
