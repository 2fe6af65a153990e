import Foundation

/// Pillow's ImagingResample for 8-bit images, reproduced bit for bit: an antialiased
/// separable filter whose support grows with the downscale factor, coefficients rounded
/// to 22-bit fixed point, a horizontal pass (only over the rows the vertical pass reads)
/// into an 8-bit intermediate, then a vertical pass.
public enum Resampler {
    public enum Filter: Sendable {
        case bicubic

        var support: Double {
            switch self {
            case .bicubic: return 2.0
            }
        }

        /// Pillow's bicubic_filter with a = -0.5, same operation order.
        func weight(_ distance: Double) -> Double {
            let a = -0.5
            let x = distance < 0 ? -distance : distance
            if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
            if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0.0
        }
    }

    static let precisionBits = 32 - 8 - 2

    /// Resized copy; returns the input unchanged when the size already matches, and an empty
    /// image when a requested side is not positive.
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: Filter = .bicubic) -> RGBImage {
        guard width > 0, height > 0, image.width > 0, image.height > 0 else {
            return RGBImage(uncheckedWidth: max(0, width), height: max(0, height), pixels: [])
        }
        if width == image.width && height == image.height { return image }
        let vertical = Coefficients(inputSize: image.height, outputSize: height, filter: filter)
        // Pillow ≥ 11 (ImagingResampleInner): when the height shrinks by more than twice what the
        // width shrinks, the vertical pass runs first. The 8-bit intermediate makes the order visible.
        let verticalFirst = image.height - height > 0 && image.height - height > (image.width - width) * 2
        if verticalFirst {
            let shrunk = verticalPass(image, rowOffset: 0, coefficients: vertical)
            if width == image.width { return shrunk }
            let horizontal = Coefficients(inputSize: image.width, outputSize: width, filter: filter)
            return horizontalPass(shrunk, rows: 0..<height, coefficients: horizontal)
        }
        var source = image
        var firstRow = 0
        if width != image.width {
            // Rows outside [first, last) never reach the vertical pass, so they are skipped.
            firstRow = vertical.bounds[0]
            let lastRow = vertical.bounds[(height - 1) * 2] + vertical.bounds[(height - 1) * 2 + 1]
            let horizontal = Coefficients(inputSize: image.width, outputSize: width, filter: filter)
            source = horizontalPass(image, rows: firstRow..<lastRow, coefficients: horizontal)
        }
        if height == image.height && firstRow == 0 && source.height == height { return source }
        return verticalPass(source, rowOffset: firstRow, coefficients: vertical)
    }

    /// precompute_coeffs followed by normalize_coeffs_8bpc.
    struct Coefficients {
        let kernelSize: Int
        /// Pairs (first input index, tap count) per output index.
        var bounds: [Int]
        /// kernelSize fixed-point weights per output index, zero past the tap count.
        var weights: [Int32]

        init(inputSize: Int, outputSize: Int, filter: Filter) {
            let scale = Double(Float(inputSize)) / Double(outputSize)
            let filterScale = max(scale, 1.0)
            let support = filter.support * filterScale
            kernelSize = Int(support.rounded(.up)) * 2 + 1
            bounds = [Int](repeating: 0, count: outputSize * 2)
            weights = [Int32](repeating: 0, count: outputSize * kernelSize)
            var kernel = [Double](repeating: 0, count: kernelSize)
            let inverseScale = 1.0 / filterScale
            for output in 0..<outputSize {
                let center = (Double(output) + 0.5) * scale
                var total = 0.0
                let first = max(0, Int(center - support + 0.5))
                let last = min(inputSize, Int(center + support + 0.5))
                let taps = last - first
                for tap in 0..<kernelSize { kernel[tap] = 0 }
                if taps > 0 {
                    for tap in 0..<taps {
                        let weight = filter.weight((Double(tap + first) - center + 0.5) * inverseScale)
                        kernel[tap] = weight
                        total += weight
                    }
                    if total != 0.0 {
                        for tap in 0..<taps { kernel[tap] /= total }
                    }
                }
                bounds[output * 2] = first
                bounds[output * 2 + 1] = max(0, taps)
                let unit = Double(1 << Resampler.precisionBits)
                for tap in 0..<kernelSize {
                    let value = kernel[tap]
                    weights[output * kernelSize + tap] = value < 0
                        ? Int32(-0.5 + value * unit) : Int32(0.5 + value * unit)
                }
            }
        }
    }

    @inline(__always)
    static func clip8(_ sum: Int32) -> UInt8 {
        let shifted = sum >> Int32(precisionBits)
        return shifted < 0 ? 0 : shifted > 255 ? 255 : UInt8(truncatingIfNeeded: shifted)
    }

    static func horizontalPass(_ image: RGBImage, rows: Range<Int>, coefficients: Coefficients) -> RGBImage {
        let outWidth = coefficients.bounds.count / 2
        let kernelSize = coefficients.kernelSize
        let inWidth = image.width
        let inStride = inWidth * 3
        let outStride = outWidth * 3
        var output = [UInt8](repeating: 0, count: outStride * rows.count)
        let half = Int32(1) << Int32(precisionBits - 1)
        image.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                coefficients.weights.withUnsafeBufferPointer { weights in
                    coefficients.bounds.withUnsafeBufferPointer { bounds in
                        parallelRows(rows.count) { row in
                            let input = source.baseAddress! + (row + rows.lowerBound) * inStride
                            let out = target.baseAddress! + row * outStride
                            // Widen the row once to one SIMD4 lane group per pixel so each tap is a
                            // single vector multiply-add (integer, so the result stays exact).
                            let wide = UnsafeMutablePointer<SIMD4<Int32>>.allocate(capacity: inWidth)
                            defer { wide.deallocate() }
                            for x in 0..<inWidth {
                                wide[x] = SIMD4(Int32(input[x * 3]), Int32(input[x * 3 + 1]),
                                                Int32(input[x * 3 + 2]), 0)
                            }
                            for x in 0..<outWidth {
                                let first = bounds[x * 2], taps = bounds[x * 2 + 1]
                                let kernel = weights.baseAddress! + x * kernelSize
                                var sum = SIMD4<Int32>(repeating: half)
                                let pixels = wide + first
                                for tap in 0..<taps {
                                    sum &+= pixels[tap] &* SIMD4(repeating: kernel[tap])
                                }
                                out[x * 3] = clip8(sum[0])
                                out[x * 3 + 1] = clip8(sum[1])
                                out[x * 3 + 2] = clip8(sum[2])
                            }
                        }
                    }
                }
            }
        }
        return RGBImage(uncheckedWidth: outWidth, height: rows.count, pixels: output)
    }

    static func verticalPass(_ image: RGBImage, rowOffset: Int, coefficients: Coefficients) -> RGBImage {
        let outHeight = coefficients.bounds.count / 2
        let kernelSize = coefficients.kernelSize
        let stride = image.width * 3
        var output = [UInt8](repeating: 0, count: stride * outHeight)
        let half = Int32(1) << Int32(precisionBits - 1)
        image.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                coefficients.weights.withUnsafeBufferPointer { weights in
                    coefficients.bounds.withUnsafeBufferPointer { bounds in
                        parallelRows(outHeight) { y in
                            let first = bounds[y * 2] - rowOffset, taps = bounds[y * 2 + 1]
                            let kernel = weights.baseAddress! + y * kernelSize
                            let out = target.baseAddress! + y * stride
                            // Accumulate whole rows at a time so memory is read sequentially.
                            var sums = [Int32](repeating: half, count: stride)
                            sums.withUnsafeMutableBufferPointer { accumulator in
                                for tap in 0..<taps {
                                    let weight = kernel[tap]
                                    let input = source.baseAddress! + (first + tap) * stride
                                    for index in 0..<stride {
                                        accumulator[index] &+= Int32(input[index]) &* weight
                                    }
                                }
                                for index in 0..<stride { out[index] = clip8(accumulator[index]) }
                            }
                        }
                    }
                }
            }
        }
        return RGBImage(uncheckedWidth: image.width, height: outHeight, pixels: output)
    }

    /// Splits rows over two workers when there is enough work to pay for the hand-off.
    private static func parallelRows(_ count: Int, _ body: (Int) -> Void) {
        let workers = count >= 64 ? 2 : 1
        if workers == 1 {
            for row in 0..<count { body(row) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let start = count * worker / workers, end = count * (worker + 1) / workers
                for row in start..<end { box.value(row) }
            }
        }
    }
}

/// The row bodies write disjoint output rows, so sharing them across workers is safe.
private struct UnsafeSendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
