/// The attributes a demo scene is made of. Every value carries its English and Chinese words so the
/// caption grammar and the zero-shot labels come from one table.

public enum ShapeKind: String, CaseIterable, Sendable, Codable {
    case circle, square, triangle, star, cross, diamond

    public var english: String { rawValue }
    public var englishPlural: String { self == .cross ? "crosses" : rawValue + "s" }
    public var chinese: String {
        switch self {
        case .circle: "圆形"
        case .square: "正方形"
        case .triangle: "三角形"
        case .star: "星形"
        case .cross: "十字形"
        case .diamond: "菱形"
        }
    }
}

public enum ShapeColour: String, CaseIterable, Sendable, Codable {
    case red, orange, yellow, green, blue, purple, pink

    public var english: String { rawValue }
    public var chinese: String {
        switch self {
        case .red: "红色"
        case .orange: "橙色"
        case .yellow: "黄色"
        case .green: "绿色"
        case .blue: "蓝色"
        case .purple: "紫色"
        case .pink: "粉色"
        }
    }

    /// Base RGB; each drawn shape jitters it a little so colour is a category, not one exact value.
    var baseRGB: (Double, Double, Double) {
        switch self {
        case .red: (215, 35, 35)
        case .orange: (240, 135, 20)
        case .yellow: (240, 215, 30)
        case .green: (40, 165, 60)
        case .blue: (35, 85, 215)
        case .purple: (130, 50, 180)
        case .pink: (240, 120, 185)
        }
    }
}

public enum ShapeSize: String, CaseIterable, Sendable, Codable {
    case small, large

    public var english: String { rawValue }
    public var chinese: String { self == .small ? "小的" : "大的" }
    /// Shape radius as a fraction of the image side.
    var radiusFraction: Double { self == .small ? 0.085 : 0.15 }
}

public enum ScenePosition: String, CaseIterable, Sendable, Codable {
    case left, right, top, bottom, centre

    public var englishPhrase: String {
        switch self {
        case .left: "on the left"
        case .right: "on the right"
        case .top: "at the top"
        case .bottom: "at the bottom"
        case .centre: "in the centre"
        }
    }
    public var chinese: String {
        switch self {
        case .left: "左边"
        case .right: "右边"
        case .top: "上面"
        case .bottom: "下面"
        case .centre: "中间"
        }
    }

    /// Region (x0, y0, x1, y1) in unit coordinates that the shapes' centres and extents stay in.
    var region: (Double, Double, Double, Double) {
        switch self {
        case .left: (0.0, 0.0, 0.5, 1.0)
        case .right: (0.5, 0.0, 1.0, 1.0)
        case .top: (0.0, 0.0, 1.0, 0.5)
        case .bottom: (0.0, 0.5, 1.0, 1.0)
        case .centre: (0.18, 0.18, 0.82, 0.82)
        }
    }
}

/// One kind of object, repeated `count` times (1–3) in one region of the image.
public struct SceneDescription: Sendable, Equatable, Hashable, Codable {
    public var shape: ShapeKind
    public var colour: ShapeColour
    public var size: ShapeSize
    public var position: ScenePosition
    public var count: Int

    public init(shape: ShapeKind, colour: ShapeColour, size: ShapeSize, position: ScenePosition, count: Int) {
        self.shape = shape
        self.colour = colour
        self.size = size
        self.position = position
        self.count = count
    }

    public static let counts = 1...3

    /// Every scene the attributes allow.
    public static var all: [SceneDescription] {
        ShapeKind.allCases.flatMap { shape in
            ShapeColour.allCases.flatMap { colour in
                ShapeSize.allCases.flatMap { size in
                    ScenePosition.allCases.flatMap { position in
                        counts.map { SceneDescription(shape: shape, colour: colour, size: size, position: position, count: $0) }
                    }
                }
            }
        }
    }
}

/// A colour–shape pairing; the held-out split removes some of them from training entirely.
public struct ColourShape: Sendable, Hashable, Codable, CustomStringConvertible {
    public var colour: ShapeColour
    public var shape: ShapeKind

    public init(_ colour: ShapeColour, _ shape: ShapeKind) {
        self.colour = colour
        self.shape = shape
    }

    public var description: String { "\(colour.english) \(shape.english)" }

    /// The pairings never shown in training: each shape and six of the seven colours appear in exactly one,
    /// so every attribute is still learned from other pairings and the test is of composition, not vocabulary.
    public static let heldOut: [ColourShape] = [
        ColourShape(.red, .triangle), ColourShape(.blue, .star), ColourShape(.green, .circle),
        ColourShape(.yellow, .square), ColourShape(.purple, .cross), ColourShape(.orange, .diamond),
    ]
}

extension SceneDescription {
    public var colourShape: ColourShape { ColourShape(colour, shape) }
}
