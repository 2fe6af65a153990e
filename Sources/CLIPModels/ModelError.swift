import Foundation
import TensorCore

/// Everything that can go wrong loading or running a model, with the file, key or tensor named.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case fileMissing(path: String)
    case unreadable(path: String, reason: String)
    case invalidConfiguration(path: String, key: String, reason: String)
    case unsupportedActivation(path: String, name: String)
    case malformedCheckpoint(path: String, reason: String)
    case truncatedCheckpoint(path: String, tensor: String, needed: Int, available: Int)
    case unsupportedDataType(path: String, tensor: String, dataType: String)
    case missingTensor(path: String, tensor: String)
    case shapeMismatch(path: String, tensor: String, expected: [Int], actual: [Int])
    case invalidInput(String)
    case backend(String)

    public var description: String {
        switch self {
        case .fileMissing(let path): return "\(path): file not found"
        case .unreadable(let path, let reason): return "\(path): cannot read (\(reason))"
        case .invalidConfiguration(let path, let key, let reason): return "\(path): invalid '\(key)': \(reason)"
        case .unsupportedActivation(let path, let name):
            let known = Activation.allCases.map(\.rawValue).joined(separator: ", ")
            return "\(path): unsupported activation '\(name)' (supported: \(known))"
        case .malformedCheckpoint(let path, let reason): return "\(path): malformed checkpoint: \(reason)"
        case .truncatedCheckpoint(let path, let tensor, let needed, let available):
            return "\(path): truncated: tensor '\(tensor)' needs bytes up to \(needed) but the file data has \(available)"
        case .unsupportedDataType(let path, let tensor, let dataType):
            return "\(path): tensor '\(tensor)' has unsupported dtype \(dataType) (supported: F32, F16, BF16, F64)"
        case .missingTensor(let path, let tensor): return "\(path): missing tensor '\(tensor)'"
        case .shapeMismatch(let path, let tensor, let expected, let actual):
            return "\(path): tensor '\(tensor)' has shape \(actual), expected \(expected)"
        case .invalidInput(let reason): return reason
        case .backend(let reason): return reason
        }
    }
}
