import CLIPModels
import TensorCore

/// Backward of a transformer MLP, `contract(activation(expand(input)))`, shared by the CLIP encoder
/// (pre-LayerNorm, `mlp.fc1`/`mlp.fc2`) and BERT (post-LayerNorm, `intermediate.dense`/`output.dense`):
/// accumulates both layers' weight and bias gradients and returns ∂loss/∂input.
func feedForwardBackward(
    input: Tensor, activated: Tensor, preActivation: Tensor, activation: Activation,
    expand: String, contract: String, outputGradient: Tensor, parameters: ParameterStore, gradients: GradientStore
) -> Tensor {
    let activatedGradient = Tensor(uninitializedShape: activated.shape)
    BackwardOperations.linear(
        input: activated, weight: parameters["\(contract).weight"], outputGradient: outputGradient,
        inputGradient: activatedGradient, weightGradient: gradients["\(contract).weight"], biasGradient: gradients["\(contract).bias"])
    BackwardOperations.activate(activation, preActivation: preActivation, gradient: activatedGradient)
    let inputGradient = Tensor(uninitializedShape: input.shape)
    BackwardOperations.linear(
        input: input, weight: parameters["\(expand).weight"], outputGradient: activatedGradient,
        inputGradient: inputGradient, weightGradient: gradients["\(expand).weight"], biasGradient: gradients["\(expand).bias"])
    return inputGradient
}
