import CTensorKernels

/// 2-D convolutions and pooling over channel-major feature maps [channels, batch, height, width].
/// Channel-major makes every convolution one GEMM over the whole batch (weights [out, in·k·k] times
/// an im2col matrix [in·k·k, batch·h·w]); a 1×1 stride-1 convolution needs no im2col at all.
public enum Convolution {
    /// The im2col matrix is built for groups of images so its size stays bounded (in floats).
    public static let columnBudget = 1 << 24

    /// Output side for a square kernel, as PyTorch computes it (floor).
    public static func outputSide(_ side: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        (side + 2 * padding - kernel) / stride + 1
    }

    /// y = conv(x, weight) + bias, optionally followed by ReLU.
    /// - Parameters:
    ///   - input: [inChannels, batch, height, width].
    ///   - weight: [outChannels, inChannels · kernel · kernel] (a PyTorch conv weight, flattened).
    ///   - bias: [outChannels].
    /// - Returns: [outChannels, batch, outHeight, outWidth].
    public static func convolve(
        _ input: Tensor, weight: Tensor, bias: Tensor, kernel: Int, stride: Int, padding: Int, relu: Bool
    ) -> Tensor {
        let inChannels = input.shape[0], batch = input.shape[1], height = input.shape[2], width = input.shape[3]
        let outChannels = weight.shape[0]
        let depth = inChannels * kernel * kernel
        precondition(weight.shape[1] == depth && bias.count == outChannels, "convolve: \(input.shape) with \(weight.shape)")
        let outHeight = outputSide(height, kernel: kernel, stride: stride, padding: padding)
        let outWidth = outputSide(width, kernel: kernel, stride: stride, padding: padding)
        let outPlane = outHeight * outWidth
        let columnsTotal = batch * outPlane
        let output = Tensor(uninitializedShape: [outChannels, batch, outHeight, outWidth])
        // Tiles only for one-pass bf16 (`--precision bf16`, or bf16x3 under a bf16 `productLimit`): packing the im2col columns into tile layout is one more pass over
        // them, and with three passes (bf16x3) OpenBLAS was faster on RN50 here (7.8 vs 7.0 images/s).
        let precision = MatrixPrecision.current.effective
        let tiles = precision != .float32 && precision.tilePasses == 1
        let weights = tiles ? TileOperand(rowsOf: weight) : nil
        // Multiplies the weight by a [depth, count] block of columns starting at `columns` (rows `ld` apart)
        // into output columns [offset, offset + count).
        func multiply(columns: UnsafePointer<Float>, ld: Int, count: Int, offset: Int) {
            if let weights {
                weights.multiply(depthMajor: columns, depth: depth, count: count, ld: ld,
                                 precision: .bfloat16, into: output.pointer + offset, ldy: columnsTotal)
            } else {
                BLAS.sgemm(transposeA: false, transposeB: false, m: outChannels, n: count, k: depth,
                           a: weight.pointer, lda: depth, b: columns, ldb: ld, c: output.pointer + offset, ldc: columnsTotal)
            }
        }
        if kernel == 1, stride == 1, padding == 0 {
            multiply(columns: input.pointer, ld: columnsTotal, count: columnsTotal, offset: 0)
        } else {
            let imagesPerGroup = max(1, min(batch, columnBudget / max(1, depth * outPlane)))
            let columns = Tensor(uninitializedShape: [depth * imagesPerGroup * outPlane])
            let source = input.pointer, scratch = columns.pointer
            let channelStride = batch * height * width
            // `scratch` points into `columns`: keep it alive until the last product has read it.
            defer { withExtendedLifetime(columns) {} }
            for first in Swift.stride(from: 0, to: batch, by: imagesPerGroup) {
                let last = min(batch, first + imagesPerGroup)
                let groupColumns = (last - first) * outPlane
                Parallel.forRanges(count: depth, minimumPerThread: 8) { start, end in
                    cs_im2col_channel_major(source, channelStride, height, width, kernel, stride, padding,
                                            outHeight, outWidth, first, last, start, end, scratch, groupColumns)
                }
                multiply(columns: scratch, ld: groupColumns, count: groupColumns, offset: first * outPlane)
            }
        }
        let result = output.pointer, biasPointer = bias.pointer
        Parallel.forRanges(count: outChannels, minimumPerThread: 8) { start, end in
            cs_bias_relu_rows(result + start * columnsTotal, biasPointer + start, end - start, columnsTotal, relu ? 1 : 0)
        }
        return output
    }

    /// Non-overlapping kernel × kernel average pooling (PyTorch `AvgPool2d(kernel)`), any leading dims.
    public static func averagePool(_ input: Tensor, kernel: Int) -> Tensor {
        let height = input.shape[input.rank - 2], width = input.shape[input.rank - 1]
        let planes = input.count / (height * width)
        let outHeight = height / kernel, outWidth = width / kernel
        let output = Tensor(uninitializedShape: Array(input.shape.dropLast(2)) + [outHeight, outWidth])
        let source = input.pointer, target = output.pointer
        Parallel.forRanges(count: planes, minimumPerThread: 16) { start, end in
            cs_average_pool_planes(source + start * height * width, target + start * outHeight * outWidth,
                                   end - start, height, width, kernel)
        }
        return output
    }

    /// x = max(x + y, 0), in place (a residual connection followed by ReLU).
    public static func addReLUInPlace(_ x: Tensor, _ y: Tensor) {
        precondition(x.count == y.count, "addReLU: \(x.shape) + \(y.shape)")
        let target = x.pointer, source = y.pointer
        Parallel.forRanges(count: x.count, minimumPerThread: Operations.elementsPerThread) { start, end in
            cs_add_relu(target + start, source + start, end - start)
        }
    }

    /// [batch, channels, height, width] → [channels, batch, height, width].
    public static func channelMajor(_ input: Tensor) -> Tensor {
        let batch = input.shape[0], channels = input.shape[1], plane = input.shape[2] * input.shape[3]
        let output = Tensor(uninitializedShape: [channels, batch, input.shape[2], input.shape[3]])
        for image in 0..<batch {
            for channel in 0..<channels {
                (output.pointer + (channel * batch + image) * plane)
                    .update(from: input.pointer + (image * channels + channel) * plane, count: plane)
            }
        }
        return output
    }
}
