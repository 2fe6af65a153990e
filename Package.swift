// swift-tools-version:6.0
import PackageDescription

// Layers point one way: C shims → TensorCore → ImageCodecs/Tokenizers → CLIPModels → CLI.
let optimizedC: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno"])]

let package = Package(
    name: "ClipSearch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "clip-search", targets: ["ClipSearchCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C shims
        .target(name: "COpenBLAS", cSettings: optimizedC, linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CTensorKernels", cSettings: optimizedC, linkerSettings: [.linkedLibrary("m")]),
        .target(
            name: "CImageCodecs",
            cSettings: optimizedC,
            linkerSettings: [
                .linkedLibrary("jpeg"), .linkedLibrary("png16"), .linkedLibrary("webp"),
                .linkedLibrary("gif"), .linkedLibrary("tiff"),
            ]
        ),
        // Tensor core
        .target(name: "TensorCore", dependencies: ["COpenBLAS", "CTensorKernels"]),
        // Media decoding and text tokenization (no tensor dependency)
        .target(name: "ImageCodecs", dependencies: ["CImageCodecs"]),
        .target(name: "Tokenizers"),
        // Layers and models
        .target(name: "CLIPModels", dependencies: ["TensorCore", "ImageCodecs", "Tokenizers"]),
        // Command-line tool
        .executableTarget(
            name: "ClipSearchCLI",
            dependencies: ["CLIPModels", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Tests
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs"], resources: []),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"]),
        .testTarget(name: "CLIPModelsTests", dependencies: ["CLIPModels"]),
        .testTarget(name: "ClipSearchCLITests", dependencies: []),
    ]
)
