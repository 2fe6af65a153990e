import Foundation

/// transformers 4.46 CLIPImageProcessor on an already RGB image: shortest-edge bicubic
/// resize (through Pillow's resampler), center crop (zero padding when too small),
/// rescale in float64 then cast to float32, normalise in float32, channels first.
public struct CLIPImagePreprocessor: Sendable, Equatable {
    public var shortestEdge: Int
    public var cropHeight: Int
    public var cropWidth: Int
    public var mean: [Float]
    public var std: [Float]
    /// A Double because transformers multiplies in float64 before casting to float32.
    public var rescaleFactor: Double
    public var doResize: Bool
    public var doCenterCrop: Bool
    public var doRescale: Bool
    public var doNormalize: Bool
    /// transformers floors the centre-crop offset; torchvision (open_clip) rounds it half to even.
    public var cropOffsetRounding: CropOffsetRounding = .floor

    public enum CropOffsetRounding: Sendable, Equatable { case floor, halfToEven }
    /// Resize to exactly this size instead of by the shortest edge (size {"height", "width"}, Chinese-CLIP).
    public var fixedSize: FixedImageSize? = nil

    public static let openAIMean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    public static let openAIStd: [Float] = [0.26862954, 0.26130258, 0.27577711]

    public init(shortestEdge: Int = 224, cropHeight: Int = 224, cropWidth: Int = 224,
                mean: [Float] = CLIPImagePreprocessor.openAIMean, std: [Float] = CLIPImagePreprocessor.openAIStd,
                rescaleFactor: Double = 1.0 / 255.0, doResize: Bool = true, doCenterCrop: Bool = true,
                doRescale: Bool = true, doNormalize: Bool = true) {
        self.shortestEdge = shortestEdge
        self.cropHeight = cropHeight
        self.cropWidth = cropWidth
        self.mean = mean
        self.std = std
        self.rescaleFactor = rescaleFactor
        self.doResize = doResize
        self.doCenterCrop = doCenterCrop
        self.doRescale = doRescale
        self.doNormalize = doNormalize
    }

    /// Reads a Hugging Face preprocessor_config.json.
    public init(preprocessorConfig url: URL) throws {
        let name = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageCodecError.unreadable(name: name, reason: error.localizedDescription)
        }
        try self.init(preprocessorConfigData: data, name: name)
    }

    public init(preprocessorConfigData data: Data, name: String) throws {
        func invalid(_ reason: String) -> ImageCodecError {
            .invalidConfiguration(name: name, reason: reason)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data),
              let config = object as? [String: Any] else {
            throw invalid("not a JSON object")
        }
        func number(_ value: Any?, _ key: String) throws -> Double? {
            guard let value else { return nil }
            if let value = value as? NSNumber { return value.doubleValue }
            throw invalid("\(key) must be a number, found \(value)")
        }
        func integer(_ value: Any?, _ key: String) throws -> Int? {
            guard let double = try number(value, key) else { return nil }
            guard double == double.rounded(), double >= 1, double <= 1_000_000 else {
                throw invalid("\(key) must be a positive integer, found \(double)")
            }
            return Int(double)
        }
        func flag(_ key: String, default value: Bool) throws -> Bool {
            guard let raw = config[key] else { return value }
            guard let bool = raw as? Bool else { throw invalid("\(key) must be true or false") }
            return bool
        }
        func triple(_ key: String, default value: [Float]) throws -> [Float] {
            guard let raw = config[key] else { return value }
            if let single = try? number(raw, key) { return [Float](repeating: Float(single), count: 3) }
            guard let list = raw as? [Any], list.count == 3 else { throw invalid("\(key) must have 3 numbers") }
            return try list.map { item in
                guard let value = try number(item, key) else { throw invalid("\(key) has a null entry") }
                return Float(value)
            }
        }
        if let resample = try integer(config["resample"], "resample"), resample != 3 {
            throw invalid("resample is \(resample); only 3 (bicubic) is supported")
        }
        if config["resample"] != nil, try integer(config["resample"], "resample") == nil {
            throw invalid("resample is missing a value")
        }
        var shortest = 224
        var fixed: FixedImageSize?
        if let size = config["size"] {
            if let dictionary = size as? [String: Any] {
                if let edge = try integer(dictionary["shortest_edge"], "size.shortest_edge") {
                    shortest = edge
                } else if let height = try integer(dictionary["height"], "size.height"),
                          let width = try integer(dictionary["width"], "size.width") {
                    fixed = FixedImageSize(height: height, width: width)
                } else {
                    throw invalid("size must be an integer, {\"shortest_edge\": n} or {\"height\": h, \"width\": w}")
                }
            } else if let edge = try integer(size, "size") {
                shortest = edge
            }
        }
        var height = 224, width = 224
        if let crop = config["crop_size"] {
            if let dictionary = crop as? [String: Any] {
                guard let cropHeight = try integer(dictionary["height"], "crop_size.height"),
                      let cropWidth = try integer(dictionary["width"], "crop_size.width") else {
                    throw invalid("crop_size must be an integer or {\"height\": h, \"width\": w}")
                }
                (height, width) = (cropHeight, cropWidth)
            } else if let side = try integer(crop, "crop_size") {
                (height, width) = (side, side)
            }
        }
        let factor = try number(config["rescale_factor"], "rescale_factor") ?? 1.0 / 255.0
        let mean = try triple("image_mean", default: Self.openAIMean)
        let std = try triple("image_std", default: Self.openAIStd)
        guard !std.contains(0) else { throw invalid("image_std contains 0") }
        self.init(shortestEdge: shortest, cropHeight: height, cropWidth: width, mean: mean, std: std,
                  rescaleFactor: factor, doResize: try flag("do_resize", default: true),
                  doCenterCrop: try flag("do_center_crop", default: true),
                  doRescale: try flag("do_rescale", default: true),
                  doNormalize: try flag("do_normalize", default: true))
        fixedSize = fixed
    }

    /// Where the crop window starts for `excess` rows or columns beyond the crop size.
    func cropOffset(_ excess: Int) -> Int {
        switch cropOffsetRounding {
        case .floor: return Self.floorDivide(excess, 2)
        case .halfToEven:
            // torchvision: int(round(excess / 2.0)) with Python's round-half-to-even.
            let half = Self.floorDivide(excess, 2)
            return excess % 2 == 0 || half % 2 == 0 ? half : half + 1
        }
    }

    /// get_resize_output_image_size(default_to_square=False): (width, height).
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        if let fixedSize { return (fixedSize.width, fixedSize.height) }
        let short = min(width, height), long = max(width, height)
        let newLong = Int(Double(shortestEdge) * Double(long) / Double(short))
        return width <= height ? (shortestEdge, newLong) : (newLong, shortestEdge)
    }

    /// Output size (height, width) of pixelValues for an image of the given size.
    public func outputSize(width: Int, height: Int) -> (height: Int, width: Int) {
        if doCenterCrop { return (cropHeight, cropWidth) }
        if doResize {
            let size = resizedSize(width: width, height: height)
            return (size.height, size.width)
        }
        return (height, width)
    }

    /// CHW float32 pixel values, 3 × height × width.
    public func pixelValues(for image: RGBImage) -> [Float] {
        var working = image
        if doResize, image.width > 0, image.height > 0 {
            let size = resizedSize(width: image.width, height: image.height)
            working = Resampler.resize(image, width: size.width, height: size.height, filter: .bicubic)
        }
        let outHeight = doCenterCrop ? cropHeight : working.height
        let outWidth = doCenterCrop ? cropWidth : working.width
        // transformers' center_crop: floor offsets; a smaller image is zero-padded with the
        // padding split ceil-first, which puts the crop window at the same place.
        let top = doCenterCrop ? cropOffset(working.height - outHeight) : 0
        let left = doCenterCrop ? cropOffset(working.width - outWidth) : 0
        let table = lookupTable()
        let plane = outHeight * outWidth
        var values = [Float](repeating: 0, count: 3 * plane)
        working.pixels.withUnsafeBufferPointer { source in
            values.withUnsafeMutableBufferPointer { target in
                for y in 0..<outHeight {
                    let sourceY = y + top
                    let rowInside = sourceY >= 0 && sourceY < working.height
                    for x in 0..<outWidth {
                        let sourceX = x + left
                        let inside = rowInside && sourceX >= 0 && sourceX < working.width
                        let base = (sourceY * working.width + sourceX) * 3
                        for channel in 0..<3 {
                            let value = inside ? Int(source[base + channel]) : 0
                            target[channel * plane + y * outWidth + x] = table[channel * 256 + value]
                        }
                    }
                }
            }
        }
        return values
    }

    /// The float32 result for every channel and byte value, computed in transformers' order.
    private func lookupTable() -> [Float] {
        var table = [Float](repeating: 0, count: 3 * 256)
        for channel in 0..<3 {
            for value in 0..<256 {
                var result = doRescale ? Float(Double(value) * rescaleFactor) : Float(value)
                if doNormalize {
                    let channelMean = mean.count == 3 ? mean[channel] : (mean.first ?? 0)
                    let channelStd = std.count == 3 ? std[channel] : (std.first ?? 1)
                    result = (result - channelMean) / channelStd
                }
                table[channel * 256 + value] = result
            }
        }
        return table
    }

    private static func floorDivide(_ value: Int, _ divisor: Int) -> Int {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
