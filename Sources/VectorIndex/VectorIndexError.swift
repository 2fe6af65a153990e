/// Every failure of the vector index; one line with what was expected and what was found.
public enum VectorIndexError: Error, Sendable, Equatable, CustomStringConvertible {
    case dimensionMismatch(context: String, expected: Int, found: Int)
    case invalidParameter(name: String, reason: String)
    case blasUnavailable(reason: String)

    public var description: String {
        switch self {
        case .dimensionMismatch(let context, let expected, let found):
            return "\(context): vector has \(found) values, the index holds \(expected)-dimensional vectors"
        case .invalidParameter(let name, let reason):
            return "invalid \(name): \(reason)"
        case .blasUnavailable(let reason):
            return "BLAS is unavailable: \(reason)"
        }
    }
}
