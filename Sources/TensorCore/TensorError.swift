/// Errors of the tensor core; each names the operation and the shapes involved.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    case blasUnavailable(String)
    case shapeMismatch(operation: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case .blasUnavailable(let reason): return "BLAS unavailable: \(reason)"
        case .shapeMismatch(let operation, let expected, let actual):
            return "\(operation): expected shape \(expected), got \(actual)"
        }
    }
}
