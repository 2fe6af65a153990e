/// An exact output size for the resize step, ignoring the aspect ratio: what transformers'
/// ChineseCLIPImageProcessor does when preprocessor_config.json's `size` is `{"height": h, "width": w}`
/// (its `resize` passes the pair to `get_resize_output_image_size`, which returns it unchanged).
public struct FixedImageSize: Sendable, Equatable {
    public var height: Int
    public var width: Int

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }
}

extension CLIPImagePreprocessor {
    /// Chinese-CLIP's preprocessing: bicubic resize to side × side, then the (no-op) center crop.
    public static func squareResize(side: Int, mean: [Float] = CLIPImagePreprocessor.openAIMean,
                                    std: [Float] = CLIPImagePreprocessor.openAIStd) -> CLIPImagePreprocessor {
        var preprocessor = CLIPImagePreprocessor(shortestEdge: side, cropHeight: side, cropWidth: side, mean: mean, std: std)
        preprocessor.fixedSize = FixedImageSize(height: side, width: side)
        return preprocessor
    }
}
