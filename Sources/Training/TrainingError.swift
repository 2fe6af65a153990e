import Foundation

/// Everything that can go wrong preparing or running training, with the file, line or option named.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformedPairs(path: String, line: Int, reason: String)
    case noUsablePairs(path: String, reason: String)
    case invalidOption(String)
    case invalidState(path: String, reason: String)
    case model(String)
    case diverged(step: Int, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read (\(reason))"
        case .malformedPairs(let path, let line, let reason): return "\(path):\(line): \(reason)"
        case .noUsablePairs(let path, let reason): return "\(path): no usable image–caption pairs (\(reason))"
        case .invalidOption(let reason): return reason
        case .invalidState(let path, let reason): return "\(path): invalid training state: \(reason)"
        case .model(let reason): return reason
        case .diverged(let step, let reason):
            return "training diverged at step \(step): \(reason); nothing of this step was saved (lower --learning-rate or set --clip-norm)"
        }
    }
}
