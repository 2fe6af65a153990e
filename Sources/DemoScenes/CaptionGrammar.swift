/// A small caption grammar in English and Chinese. Full captions name every attribute; short ones name
/// only some (as people type queries), which also teaches the model single words for zero-shot labels.
public enum CaptionLanguage: String, CaseIterable, Sendable, Codable {
    case english = "en"
    case chinese = "zh"
}

public enum CaptionStyle: Int, CaseIterable, Sendable, Codable {
    /// "two small red circles on the left" / "左边有两个小的红色圆形"
    case plain
    /// "a photo of two small red circles on the left" / "两个小的红色圆形在左边"
    case photo
    /// "there are two small red circles on the left" / "图片中间有一个大的蓝色星形" style with the position first
    case existential
    /// "two red circles" / "两个红色圆形": count, colour and shape only
    case counted
    /// "a photo of a red circle" / "一张红色圆形的照片": colour and shape only
    case colourShape
    /// "red" or "circle" / "红色" or "圆形": one attribute, as a zero-shot label is
    case singleWord

    /// Full captions describe the scene uniquely; the others match many scenes.
    public var isFull: Bool { self == .plain || self == .photo || self == .existential }
}

public enum CaptionGrammar {
    public static func caption(for scene: SceneDescription, language: CaptionLanguage, style: CaptionStyle = .plain) -> String {
        switch language {
        case .english: english(scene, style: style)
        case .chinese: chinese(scene, style: style)
        }
    }

    static func englishCount(_ count: Int) -> String {
        switch count {
        case 1: "a"
        case 2: "two"
        default: "three"
        }
    }

    static func english(_ scene: SceneDescription, style: CaptionStyle) -> String {
        let noun = scene.count == 1 ? scene.shape.english : scene.shape.englishPlural
        let counted = "\(englishCount(scene.count)) \(scene.size.english) \(scene.colour.english) \(noun)"
        switch style {
        case .plain: return "\(counted) \(scene.position.englishPhrase)"
        case .photo: return "a photo of \(counted) \(scene.position.englishPhrase)"
        case .existential: return "there \(scene.count == 1 ? "is" : "are") \(counted) \(scene.position.englishPhrase)"
        case .counted: return "\(englishCount(scene.count)) \(scene.colour.english) \(noun)"
        case .colourShape: return "a photo of a \(scene.colour.english) \(scene.shape.english)"
        case .singleWord: return scene.count % 2 == 1 ? scene.colour.english : scene.shape.english
        }
    }

    static func chineseCount(_ count: Int) -> String {
        switch count {
        case 1: "一个"
        case 2: "两个"
        default: "三个"
        }
    }

    static func chinese(_ scene: SceneDescription, style: CaptionStyle) -> String {
        let object = "\(scene.size.chinese)\(scene.colour.chinese)\(scene.shape.chinese)"
        let counted = chineseCount(scene.count) + object
        switch style {
        case .plain: return "\(scene.position.chinese)有\(counted)"
        case .photo: return "\(counted)在\(scene.position.chinese)"
        case .existential: return "图片\(scene.position.chinese)有\(counted)"
        case .counted: return chineseCount(scene.count) + scene.colour.chinese + scene.shape.chinese
        case .colourShape: return "一张\(scene.colour.chinese)\(scene.shape.chinese)的照片"
        case .singleWord: return scene.count % 2 == 1 ? scene.colour.chinese : scene.shape.chinese
        }
    }

    /// Every caption the grammar can produce, in a fixed order (for building the tokenizer's vocabulary).
    public static func allCaptions() -> [String] {
        var seen = Set<String>(), captions: [String] = []
        for scene in SceneDescription.all {
            for language in CaptionLanguage.allCases {
                for style in CaptionStyle.allCases {
                    let caption = caption(for: scene, language: language, style: style)
                    if seen.insert(caption).inserted { captions.append(caption) }
                }
            }
        }
        return captions
    }

    /// Zero-shot label words for one attribute family, in the attribute's case order.
    public static func colourLabels(_ language: CaptionLanguage) -> [String] {
        ShapeColour.allCases.map { language == .english ? $0.english : $0.chinese }
    }

    public static func shapeLabels(_ language: CaptionLanguage) -> [String] {
        ShapeKind.allCases.map { language == .english ? $0.english : $0.chinese }
    }
}
