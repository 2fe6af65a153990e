/// Frames a single sequence as `prefix … suffix` (tokenizers' `TemplateProcessing` single template, and
/// `RobertaProcessing`/`BertProcessing`: [CLS] … [SEP]; transformers' slow tokenizers' framing).
public struct TemplatePostProcessor: PostProcessing {
    public let prefix: [Int]
    public let suffix: [Int]

    public init(prefix: [Int], suffix: [Int]) {
        self.prefix = prefix
        self.suffix = suffix
    }

    public var addedTokenCount: Int { prefix.count + suffix.count }

    public func process(_ ids: [Int]) -> [Int] { prefix + ids + suffix }
}

/// transformers' slow tokenizers that append an end token only when the ids do not already end with it
/// (T5's and SigLIP's `_add_eos_if_not_present`).
struct EndTokenIfAbsentPostProcessor: PostProcessing {
    let endID: Int

    var addedTokenCount: Int { 1 }

    func process(_ ids: [Int]) -> [Int] { ids.last == endID ? ids : ids + [endID] }
}

/// Truncation and padding of the framed sequence, as transformers applies them with
/// `truncation=True, max_length=N` (the text's ids are cut so the framed sequence fits, on the right unless
/// configured) and `padding="max_length"` (the pad id added on the padding side up to the padded length).
public struct SequenceShape: Sendable, Equatable {
    public enum Side: String, Sendable { case left, right }

    /// Longest framed sequence; nil: no truncation.
    public var maximumLength: Int?
    public var truncationSide: Side
    /// Pad shorter sequences to this length; nil: no padding.
    public var paddedLength: Int?
    public var paddingID: Int?
    public var paddingSide: Side

    public init(maximumLength: Int? = nil, truncationSide: Side = .right, paddedLength: Int? = nil,
                paddingID: Int? = nil, paddingSide: Side = .right) {
        self.maximumLength = maximumLength
        self.truncationSide = truncationSide
        self.paddedLength = paddedLength
        self.paddingID = paddingID
        self.paddingSide = paddingSide
    }

    /// Truncates the unframed ids, frames them, pads the result.
    func apply(_ ids: [Int], postProcessor: (any PostProcessing)?) -> [Int] {
        var ids = ids
        if let maximumLength {
            let room = max(0, maximumLength - (postProcessor?.addedTokenCount ?? 0))
            if ids.count > room {
                ids = truncationSide == .right ? Array(ids.prefix(room)) : Array(ids.suffix(room))
            }
        }
        if let postProcessor { ids = postProcessor.process(ids) }
        if let paddedLength, let paddingID, ids.count < paddedLength {
            let padding = [Int](repeating: paddingID, count: paddedLength - ids.count)
            ids = paddingSide == .right ? ids + padding : padding + ids
        }
        return ids
    }
}
