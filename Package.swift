// swift-tools-version:6.0
import PackageDescription

// Layers point one way:
//   C shims (COpenBLAS, CTensorKernels, CImageCodecs), Prefetching (a producer thread on a bounded queue)
//   → TensorCore → ImageCodecs / Tokenizers → CLIPModels → Training
//   → Catalog / VectorIndex / ModelStore → SearchCore → Server → ClipSearchCLI (`clip-search`).
let optimizedC: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno"])]

let package = Package(
    name: "ClipSearch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "clip-search", targets: ["ClipSearchCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    ],
    targets: [
        // C shims
        .target(name: "COpenBLAS", cSettings: optimizedC, linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CTensorKernels", cSettings: optimizedC, linkerSettings: [.linkedLibrary("m")]),
        .target(
            name: "CImageCodecs",
            cSettings: optimizedC,
            linkerSettings: [
                .linkedLibrary("jpeg"), .linkedLibrary("png16"), .linkedLibrary("webp"), .linkedLibrary("webpdemux"),
                .linkedLibrary("gif"), .linkedLibrary("tiff"), .linkedLibrary("heif"),
            ]
        ),
        // A producer thread ahead of its consumer on a bounded queue (image pipeline, video frames)
        .target(name: "Prefetching"),
        // Tensor core
        .target(name: "TensorCore", dependencies: ["COpenBLAS", "CTensorKernels"]),
        // Media decoding and text tokenization (no tensor dependency)
        .target(name: "ImageCodecs", dependencies: ["CImageCodecs"]),
        .target(name: "Tokenizers"),
        // Layers and models
        .target(name: "CLIPModels", dependencies: ["TensorCore", "ImageCodecs", "Tokenizers", "Prefetching"]),
        // Training
        .target(name: "Training", dependencies: ["TensorCore", "CLIPModels", "ImageCodecs", "Prefetching", "Tokenizers"]),
        // Catalog, vector index, model store
        .target(name: "Catalog", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "VectorIndex", dependencies: ["TensorCore"]),
        .target(name: "ModelStore", dependencies: []),
        // Search core: indexer, searcher, queries
        // Video: ffprobe/ffmpeg subprocesses, frame sampling, moment merging, export
        .target(name: "Media", dependencies: ["ImageCodecs", "Prefetching"]),
        .target(name: "SearchCore", dependencies: ["CLIPModels", "Catalog", "VectorIndex", "ModelStore", "ImageCodecs", "Media"]),
        // Web page and REST API
        .target(name: "Server", dependencies: ["SearchCore", "CLIPModels", "Catalog", "ImageCodecs", .product(name: "Hummingbird", package: "hummingbird")]),
        // Procedural demo scenes and captions (the demo model's training data)
        .target(name: "DemoScenes", dependencies: ["ImageCodecs", "CLIPModels"]),
        // Command-line tool
        .executableTarget(
            name: "ClipSearchCLI",
            dependencies: [
                "CLIPModels", "SearchCore", "Training", "ModelStore", "Server", "DemoScenes", "Tokenizers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Tests
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs", "ModelStore"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"]),
        .testTarget(name: "CLIPModelsTests", dependencies: ["CLIPModels", "Prefetching"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog"]),
        .testTarget(name: "VectorIndexTests", dependencies: ["VectorIndex"]),
        .testTarget(name: "ModelStoreTests", dependencies: ["ModelStore"]),
        .testTarget(name: "SearchCoreTests", dependencies: ["SearchCore"]),
        .testTarget(name: "MediaTests", dependencies: ["Media"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "SearchCore", "Catalog", "ImageCodecs", .product(name: "HummingbirdTesting", package: "hummingbird")]),
        .testTarget(name: "ClipSearchCLITests", dependencies: ["Catalog"]),
        .testTarget(name: "DemoScenesTests", dependencies: ["DemoScenes", "CLIPModels", "Tokenizers", "ImageCodecs", "SearchCore"]),
    ]
)
