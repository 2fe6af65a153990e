import XCTest
@testable import CLIPModels

/// `ParameterStore.random` is the seed of benchmarks and `train --from-scratch`: LayerNorm gains must
/// start near 1 under every naming scheme, or a freshly made tower computes almost nothing.
final class RandomParametersTests: XCTestCase {
    func testLayerNormGainsStartNearOneAndOtherWeightsNearZero() {
        let gains = ["text_model.encoder.layers.0.layer_norm1.weight", "vision_model.pre_layrnorm.weight",
                     "vision_model.post_layernorm.weight", "text_model.encoder.layer.0.output.LayerNorm.weight",
                     "text_model.embeddings.LayerNorm.weight"]
        let others = ["text_model.encoder.layer.0.output.LayerNorm.bias", "text_model.encoder.layers.0.mlp.fc1.weight",
                      "text_model.embeddings.word_embeddings.weight"]
        let store = ParameterStore.random(specifications: (gains + others).map { ParameterSpecification($0, [256]) }, seed: 7)
        for name in gains {
            let values = Array(UnsafeBufferPointer(start: store[name].pointer, count: 256))
            let mean = values.reduce(0, +) / 256
            XCTAssertEqual(mean, 1, accuracy: 0.05, "\(name) should be a gain near 1")
            XCTAssertGreaterThan(values.max()! - values.min()!, 0.1, "\(name) should be perturbed, not constant")
        }
        for name in others {
            let values = Array(UnsafeBufferPointer(start: store[name].pointer, count: 256))
            XCTAssertLessThan(values.map(abs).max()!, 0.2, "\(name) should be small noise")
            XCTAssertGreaterThan(values.map(abs).max()!, 0.001, "\(name) should not be zero")
        }
    }
}
