import Foundation

/// A shape placed in unit image coordinates, measured by signed distance (negative inside), which gives
/// anti-aliased edges for free: a pixel's coverage is 0.5 − distance in pixels, clamped to [0, 1].
struct ShapeOutline {
    let kind: ShapeKind
    let centre: (Double, Double)
    let radius: Double
    let rotation: Double

    /// Polygon corners for radius 1 around the origin, y pointing down; nil for the circle.
    static func corners(of kind: ShapeKind) -> [(Double, Double)]? {
        switch kind {
        case .circle:
            return nil
        case .square:
            return [(-0.78, -0.78), (0.78, -0.78), (0.78, 0.78), (-0.78, 0.78)]
        case .diamond:
            return [(0, -1), (0.68, 0), (0, 1), (-0.68, 0)]
        case .triangle:
            // Equilateral, pointing up, its centroid lowered so it sits in the same box as the others.
            return [-90.0, 30.0, 150.0].map { degrees in
                let angle = degrees * Double.pi / 180
                return (1.05 * cos(angle), 1.05 * sin(angle) + 0.12)
            }
        case .star:
            return (0..<10).map { index in
                let angle = -Double.pi / 2 + Double(index) * Double.pi / 5
                let reach = index % 2 == 0 ? 1.05 : 0.45
                return (reach * cos(angle), reach * sin(angle))
            }
        case .cross:
            let arm = 0.32, end = 0.95
            return [(-arm, -end), (arm, -end), (arm, -arm), (end, -arm), (end, arm), (arm, arm),
                    (arm, end), (-arm, end), (-arm, arm), (-end, arm), (-end, -arm), (-arm, -arm)]
        }
    }

    func signedDistance(to point: (Double, Double)) -> Double {
        // Into the shape's own frame: translate, rotate back, scale to radius 1.
        let dx = point.0 - centre.0, dy = point.1 - centre.1
        let c = cos(-rotation), s = sin(-rotation)
        let local = ((dx * c - dy * s) / radius, (dx * s + dy * c) / radius)
        guard let corners = Self.corners(of: kind) else {
            return ((local.0 * local.0 + local.1 * local.1).squareRoot() - 0.92) * radius
        }
        return Self.polygonDistance(local, corners) * radius
    }

    /// Distance to the nearest edge, negative when the point is inside (even–odd rule).
    static func polygonDistance(_ point: (Double, Double), _ corners: [(Double, Double)]) -> Double {
        var nearest = Double.infinity
        var inside = false
        var previous = corners[corners.count - 1]
        for current in corners {
            let edge = (current.0 - previous.0, current.1 - previous.1)
            let toPoint = (point.0 - previous.0, point.1 - previous.1)
            let lengthSquared = edge.0 * edge.0 + edge.1 * edge.1
            let t = max(0, min(1, (toPoint.0 * edge.0 + toPoint.1 * edge.1) / lengthSquared))
            let gap = (toPoint.0 - edge.0 * t, toPoint.1 - edge.1 * t)
            nearest = min(nearest, gap.0 * gap.0 + gap.1 * gap.1)
            if (previous.1 > point.1) != (current.1 > point.1) {
                let crossingX = previous.0 + (point.1 - previous.1) / (current.1 - previous.1) * (current.0 - previous.0)
                if point.0 < crossingX { inside.toggle() }
            }
            previous = current
        }
        return inside ? -nearest.squareRoot() : nearest.squareRoot()
    }
}
