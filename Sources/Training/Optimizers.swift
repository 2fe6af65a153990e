import CLIPModels
import Foundation
import TensorCore

/// Whether a parameter gets weight decay: matrices do; gains, biases, embedding tables (CLIP's class/
/// token/position, BERT's word/position/token-type) and the temperature do not (the patch embedding is a
/// convolution weight and does).
public func appliesWeightDecay(_ name: String, shape: [Int]) -> Bool {
    shape.count >= 2 && (!name.contains("embedding") || name.contains("patch_embedding"))
}

public enum OptimizerKind: String, Sendable, CaseIterable {
    case sgd
    case adamw
}

public struct OptimizerSettings: Sendable, Equatable {
    public var kind: OptimizerKind
    public var weightDecay: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// SGD only.
    public var momentum: Float

    public init(kind: OptimizerKind = .adamw, weightDecay: Float = 0.1, beta1: Float = 0.9, beta2: Float = 0.98,
                epsilon: Float = 1e-6, momentum: Float = 0.9) {
        self.kind = kind
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.momentum = momentum
    }
}

/// AdamW and SGD (with momentum) exactly as torch.optim implements them, with per-parameter state
/// keyed by checkpoint name (so it can be saved next to the checkpoint and resumed).
public final class Optimizer: @unchecked Sendable {
    public let settings: OptimizerSettings
    public let names: [String]
    public private(set) var step: Int = 0
    /// AdamW: first moments; SGD: momentum buffers.
    public private(set) var firstMoments: [String: Tensor] = [:]
    /// AdamW: second moments.
    public private(set) var secondMoments: [String: Tensor] = [:]

    public init(settings: OptimizerSettings, parameters: ParameterStore, names: [String]) {
        self.settings = settings
        self.names = names
        for name in names {
            let shape = parameters[name].shape
            firstMoments[name] = Tensor(zeros: shape)
            if settings.kind == .adamw { secondMoments[name] = Tensor(zeros: shape) }
        }
    }

    /// One update of every named parameter with learning rate `learningRate`.
    public func update(parameters: ParameterStore, gradients: GradientStore, learningRate: Float) {
        step += 1
        for name in names {
            let parameter = parameters[name], gradient = gradients[name]
            let decay = appliesWeightDecay(name, shape: parameter.shape) ? settings.weightDecay : 0
            guard let first = firstMoments[name] else { continue }
            let p = parameter.pointer, g = gradient.pointer, m = first.pointer, count = parameter.count
            let settings = self.settings, step = self.step
            switch settings.kind {
            case .adamw:
                guard let second = secondMoments[name] else { continue }
                let v = second.pointer
                let beta1 = settings.beta1, beta2 = settings.beta2, epsilon = settings.epsilon
                let correction1 = 1 - pow(Double(beta1), Double(step)), correction2 = 1 - pow(Double(beta2), Double(step))
                let stepSize = Float(Double(learningRate) / correction1)
                let correction2Root = Float(correction2.squareRoot())
                let shrink = 1 - learningRate * decay
                Parallel.forRanges(count: count, minimumPerThread: 1 << 16) { start, end in
                    for index in start..<end {
                        if decay != 0 { p[index] *= shrink }
                        m[index] += (g[index] - m[index]) * (1 - beta1)
                        v[index] = v[index] * beta2 + (1 - beta2) * g[index] * g[index]
                        let denominator = v[index].squareRoot() / correction2Root + epsilon
                        p[index] -= stepSize * m[index] / denominator
                    }
                }
            case .sgd:
                let momentum = settings.momentum
                Parallel.forRanges(count: count, minimumPerThread: 1 << 16) { start, end in
                    for index in start..<end {
                        let direction = g[index] + decay * p[index]
                        if momentum != 0 {
                            m[index] = step == 1 ? direction : momentum * m[index] + direction
                            p[index] -= learningRate * m[index]
                        } else {
                            p[index] -= learningRate * direction
                        }
                    }
                }
            }
        }
    }

    /// The moments as named tensors plus the step, for saving.
    public var stateTensors: [(name: String, tensor: Tensor)] {
        names.compactMap { name in firstMoments[name].map { ("first_moment.\(name)", $0) } }
            + names.compactMap { name in secondMoments[name].map { ("second_moment.\(name)", $0) } }
    }

    /// Restores moments saved by `stateTensors` and the step counter.
    public func restore(from file: SafeTensorsFile, step savedStep: Int) throws {
        for (name, tensor) in stateTensors {
            guard let entry = file.entries[name] else { throw TrainingError.invalidState(path: file.path, reason: "missing '\(name)'") }
            guard entry.shape.reduce(1, *) == tensor.count else {
                throw TrainingError.invalidState(path: file.path, reason: "'\(name)' has shape \(entry.shape), expected \(tensor.shape)")
            }
            do { try file.readFloats(entry, into: tensor.pointer) } catch { throw TrainingError.invalidState(path: file.path, reason: "\(error)") }
        }
        step = savedStep
    }
}

/// Linear warm-up then cosine decay to zero (or a constant rate).
public struct LearningRateSchedule: Sendable, Equatable {
    public var baseRate: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var cosine: Bool

    public init(baseRate: Float, warmupSteps: Int = 0, totalSteps: Int, cosine: Bool = true) {
        self.baseRate = baseRate
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.cosine = cosine
    }

    /// The rate for 0-based optimizer step `step`.
    public func rate(atStep step: Int) -> Float {
        if step < warmupSteps { return baseRate * Float(step + 1) / Float(warmupSteps) }
        guard cosine, totalSteps > warmupSteps else { return baseRate }
        let progress = min(1, Double(step - warmupSteps) / Double(totalSteps - warmupSteps))
        return Float(0.5 * (1 + cos(Double.pi * progress))) * baseRate
    }
}

public enum GradientClipping {
    /// Scales the gradients so their global L2 norm is at most `maximumNorm` (torch's
    /// clip_grad_norm_); returns the norm before clipping.
    @discardableResult
    public static func clip(_ gradients: GradientStore, names: [String], maximumNorm: Float) -> Double {
        let norm = gradients.globalNorm(of: names)
        let coefficient = Double(maximumNorm) / (norm + 1e-6)
        if coefficient < 1 { gradients.scale(names, by: Float(coefficient)) }
        return norm
    }
}
