import Foundation
import ImageCodecs

/// A small grayscale copy of a photo for the model-independent "same photo?" check of
/// `DuplicateFinder`: resized, recompressed and lightly cropped copies match, other shots of the
/// same scene (a shifted view, a much tighter crop) do not.
public struct PhotoSignature: Sendable {
    /// Side of the stored grid; the aspect ratio is kept separately, so the grid is in
    /// normalised coordinates and a resized copy gives the same grid.
    static let side = 64
    /// Sampling grids over the shared part: coarse for the search over placements, fine for the
    /// refinement and the final score.
    static let coarseGrid = 8
    static let fineGrid = 24
    /// The shared part must cover at least this fraction of each photo's width and height.
    public static let smallestWindow = 0.8
    /// Pairs whose coarse score stays below this are not refined (scores below it are coarse ones).
    static let coarseCutoff: Float = 0.6
    /// Score (mean of the grey-level and edge correlations) from which two photos are the same.
    /// On the generated set (PhotoSignatureTests, README) copies scored ≥ 0.923 and other shots
    /// of one scene ≤ 0.918: a narrow margin, set between the two.
    public static let sameThreshold: Float = 0.92

    /// The 64×64 grey levels low-passed (5×5 box): what the placement search compares. Copies differ in fine detail (a half-size
    /// copy has none, recompression adds noise) and coarse samples would alias it; misaligned
    /// views still differ at this scale.
    let smooth: [Float]
    /// The grey levels lightly low-passed (3×3 box) for the final score at the placement found on `smooth`:
    /// at the coarser scale a smooth photo (sky) still correlates with a 60% zoom of itself.
    let detail: [Float]
    /// Width over height of the upright photo.
    let aspect: Double

    public init(image: RGBImage) {
        let small = Resampler.resize(image, width: Self.side, height: Self.side, filter: .bicubic)
        var gray = [Float](repeating: 0, count: Self.side * Self.side)
        for pixel in gray.indices {
            let red = Float(small.pixels[pixel * 3]), green = Float(small.pixels[pixel * 3 + 1]), blue = Float(small.pixels[pixel * 3 + 2])
            gray[pixel] = 0.299 * red + 0.587 * green + 0.114 * blue
        }
        smooth = Self.boxBlurred(gray, radius: 2)
        detail = Self.boxBlurred(gray, radius: 1)
        aspect = Double(max(1, image.width)) / Double(max(1, image.height))
    }

    static func boxBlurred(_ values: [Float], radius: Int) -> [Float] {
        var horizontal = values, result = values
        for row in 0..<side {
            for column in 0..<side {
                let range = max(0, column - radius)...min(side - 1, column + radius)
                horizontal[row * side + column] = range.reduce(0) { $0 + values[row * side + $1] } / Float(range.count)
            }
        }
        for row in 0..<side {
            let range = max(0, row - radius)...min(side - 1, row + radius)
            for column in 0..<side {
                result[row * side + column] = range.reduce(0) { $0 + horizontal[$1 * side + column] } / Float(range.count)
            }
        }
        return result
    }

    /// Decodes at a reduced size (DCT-scaled for JPEG), enough for a 64×64 grid.
    public static func load(path: String) throws -> PhotoSignature {
        do {
            return PhotoSignature(image: try ImageDecoder.decode(fileAt: URL(fileURLWithPath: path), minimumShortSide: side))
        } catch let error as ImageCodecError {
            throw SearchError.imageFailed(path: path, reason: "\(error)")
        }
    }

    /// Where the second photo lies in the first one's normalised coordinates (0...1 per axis):
    /// its left/top edge and its width/height. Edges may stick out: two crops of one original
    /// overlap without either containing the other.
    struct Placement: Equatable {
        var x: Double, y: Double, width: Double, height: Double
    }

    /// The best correlation over placements where the shared part covers at least
    /// `smallestWindow` of each photo per axis (so the two differ by at most that much crop or
    /// zoom); -1 when their shapes allow no such placement. Symmetric up to search rounding.
    public static func similarity(_ first: PhotoSignature, _ second: PhotoSignature) -> Float {
        let ratio = second.aspect / first.aspect
        var coarse: [(score: Float, placement: Placement)] = []
        for scaleStep in 0...6 {
            let width = exp(log(smallestWindow) * (1 - Double(scaleStep) / 3))  // 0.8 ... 1/0.8
            let height = width / ratio
            guard height >= smallestWindow * 0.98, height <= 1 / (smallestWindow * 0.98) else { continue }
            for x in positions(size: width, count: 7) {
                for y in positions(size: height, count: 7) {
                    let placement = Placement(x: x, y: y, width: width, height: height)
                    coarse.append((correlation(first.smooth, second.smooth, placement, grid: coarseGrid), placement))
                }
            }
        }
        coarse.sort { $0.score > $1.score }
        guard let best = coarse.first else { return -1 }
        // Same photos score ~0.9 or more here; far below, refining cannot reach the threshold.
        if best.score < coarseCutoff { return best.score }
        // Large flat areas (sky) make the coarse optimum ambiguous: refine the best few starts.
        return coarse.prefix(3).map { refined(first, second, from: $0.placement) }.max() ?? best.score
    }

    /// Local search around a placement (shift and zoom, step halving) on the fine grid, then the
    /// score of the found placement on the finer detail.
    static func refined(_ first: PhotoSignature, _ second: PhotoSignature, from start: Placement) -> Float {
        var placement = start
        var score = correlation(first.smooth, second.smooth, placement, grid: fineGrid)
        var step = 0.04
        for _ in 0..<4 {
            var improved = true
            var moves = 0
            while improved && moves < 8 {
                improved = false
                moves += 1
                for (dx, dy, zoom) in [(step, 0.0, 1.0), (-step, 0, 1), (0, step, 1), (0, -step, 1), (0, 0, 1 + step), (0, 0, 1 - step)] {
                    var moved = placement
                    moved.width *= zoom
                    moved.height *= zoom
                    moved.x += dx - (moved.width - placement.width) / 2
                    moved.y += dy - (moved.height - placement.height) / 2
                    guard isAllowed(moved) else { continue }
                    let candidate = correlation(first.smooth, second.smooth, moved, grid: fineGrid)
                    if candidate > score + 1e-5 { (score, placement, improved) = (candidate, moved, true) }
                }
            }
            step /= 2
        }
        return correlation(first.detail, second.detail, placement, grid: fineGrid)
    }

    /// Left edges for which the overlap covers `smallestWindow` of both photos.
    static func positions(size: Double, count: Int) -> [Double] {
        let needed = smallestWindow * max(1, size)
        let (low, high) = (needed - size, 1 - needed)
        guard high - low > 1e-6 else { return [(low + high) / 2] }
        return (0..<count).map { low + (high - low) * Double($0) / Double(count - 1) }
    }

    static func isAllowed(_ placement: Placement) -> Bool {
        func fits(_ start: Double, _ size: Double) -> Bool {
            let overlap = min(1, start + size) - max(0, start)
            return overlap >= smallestWindow * max(1, size) - 1e-9
        }
        return fits(placement.x, placement.width) && fits(placement.y, placement.height)
    }

    /// Mean of two zero-mean normalised cross-correlations over the shared part, sampled on a
    /// grid × grid raster: of the grey levels (overall layout) and of their differences between
    /// neighbouring samples (edges, which a misaligned or rescaled view does not line up).
    static func correlation(_ first: [Float], _ second: [Float], _ placement: Placement, grid: Int) -> Float {
        let left = max(0, placement.x), right = min(1, placement.x + placement.width)
        let top = max(0, placement.y), bottom = min(1, placement.y + placement.height)
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * grid * grid) { samples in
            first.withUnsafeBufferPointer { a in
                second.withUnsafeBufferPointer { b in
                    for row in 0..<grid {
                        let v = top + (Double(row) + 0.5) / Double(grid) * (bottom - top)
                        let secondV = (v - placement.y) / placement.height
                        for column in 0..<grid {
                            let u = left + (Double(column) + 0.5) / Double(grid) * (right - left)
                            samples[row * grid + column] = bilinear(a, u, v)
                            samples[grid * grid + row * grid + column] = bilinear(b, (u - placement.x) / placement.width, secondV)
                        }
                    }
                }
            }
            let count = grid * grid
            let levels = normalizedCorrelation(count: count) { (samples[$0], samples[count + $0]) }
            let horizontal = grid - 1
            let edges = normalizedCorrelation(count: 2 * horizontal * grid) { index in
                let pair = index / 2, vertical = index % 2 == 1
                let (row, column) = vertical ? (pair % horizontal, pair / horizontal) : (pair / horizontal, pair % horizontal)
                let here = row * grid + column, next = vertical ? here + grid : here + 1
                return (samples[next] - samples[here], samples[count + next] - samples[count + here])
            }
            return (levels + edges) / 2
        }
    }

    /// Zero-mean normalised cross-correlation; 0 when either side is flat (nothing to compare).
    static func normalizedCorrelation(count: Int, _ pair: (Int) -> (Float, Float)) -> Float {
        var sumA: Float = 0, sumB: Float = 0, sumAA: Float = 0, sumBB: Float = 0, sumAB: Float = 0
        for index in 0..<count {
            let (a, b) = pair(index)
            sumA += a; sumB += b; sumAA += a * a; sumBB += b * b; sumAB += a * b
        }
        let n = Float(count)
        let varianceA = sumAA - sumA * sumA / n, varianceB = sumBB - sumB * sumB / n
        // Below about a quarter grey level of deviation per sample the patch is flat.
        guard varianceA > n / 16, varianceB > n / 16 else { return 0 }
        return (sumAB - sumA * sumB / n) / (varianceA * varianceB).squareRoot()
    }

    /// Grey level at normalised coordinates (pixel centres at (i + 0.5) / side), edges clamped.
    static func bilinear(_ luma: UnsafeBufferPointer<Float>, _ u: Double, _ v: Double) -> Float {
        let x = min(max(u * Double(side) - 0.5, 0), Double(side - 1))
        let y = min(max(v * Double(side) - 0.5, 0), Double(side - 1))
        let left = Int(x), top = Int(y)
        let right = min(left + 1, side - 1), bottom = min(top + 1, side - 1)
        let fx = Float(x - Double(left)), fy = Float(y - Double(top))
        let upper = luma[top * side + left] + (luma[top * side + right] - luma[top * side + left]) * fx
        let lower = luma[bottom * side + left] + (luma[bottom * side + right] - luma[bottom * side + left]) * fx
        return upper + (lower - upper) * fy
    }
}
