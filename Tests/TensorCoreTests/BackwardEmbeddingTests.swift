import Foundation
import TensorCore
import XCTest

/// The summed embedding lookup (BERT's word + token-type + position rows) against finite differences.
final class BackwardEmbeddingTests: XCTestCase {
    var random = BackwardTestRandom(state: 77)

    func randomTensor(_ shape: [Int]) -> Tensor { Tensor(shape: shape) { _ in self.random.normal() } }

    func probeLoss(_ output: Tensor, _ probe: Tensor) -> Double {
        (0..<output.count).reduce(0.0) { $0 + Double(output.pointer[$1]) * Double(probe.pointer[$1]) }
    }

    func testSumAddsTheRowsInOrder() {
        let words = randomTensor([5, 3]), types = randomTensor([2, 3]), positions = randomTensor([4, 3])
        let output = EmbeddingLookup.sum([.init(table: words, indices: [4, 1]), .init(table: types, indices: [0, 1]),
                                          .init(table: positions, indices: [0, 3])])
        XCTAssertEqual(output.shape, [2, 3])
        for column in 0..<3 {
            XCTAssertEqual(output.pointer[3 + column], (words.pointer[3 + column] + types.pointer[3 + column]) + positions.pointer[9 + column])
        }
    }

    func testBackwardMatchesFiniteDifferencesAndSkipsUnselectedRows() {
        // Six rows (two texts of three positions); word 2 repeats, so its gradient must add up.
        let words = randomTensor([7, 4]), types = randomTensor([2, 4]), positions = randomTensor([3, 4])
        let wordIndices = [2, 5, 2, 6, 2, 0], typeIndices = [0, 0, 0, 1, 1, 1], positionIndices = [0, 1, 2, 0, 1, 2]
        let probe = randomTensor([6, 4])
        func loss() -> Double {
            probeLoss(EmbeddingLookup.sum([.init(table: words, indices: wordIndices), .init(table: types, indices: typeIndices),
                                           .init(table: positions, indices: positionIndices)]), probe)
        }
        let gradients = [Tensor(zeros: words.shape), Tensor(zeros: types.shape), Tensor(zeros: positions.shape)]
        EmbeddingLookup.backward(outputGradient: probe, into: [
            .init(table: gradients[0], indices: wordIndices), .init(table: gradients[1], indices: typeIndices),
            .init(table: gradients[2], indices: positionIndices)])
        for (name, table, gradient) in [("word", words, gradients[0]), ("type", types, gradients[1]), ("position", positions, gradients[2])] {
            checkGradient("embedding sum d\(name)", input: table, analytic: gradient, loss: loss)
        }

        // Only rows 0 and 1 selected (row 2 onward as padding): row 2's word and position get nothing from it.
        let partial = Tensor(zeros: words.shape), partialPositions = Tensor(zeros: positions.shape)
        EmbeddingLookup.backward(outputGradient: probe, into: [.init(table: partial, indices: wordIndices),
                                                               .init(table: partialPositions, indices: positionIndices)], rows: [0, 1])
        XCTAssertEqual(partial.row(2), probe.row(0))
        XCTAssertEqual(partial.row(6), [0, 0, 0, 0])
        XCTAssertEqual(partialPositions.row(2), [0, 0, 0, 0])
        XCTAssertEqual(partialPositions.row(1), probe.row(1))
    }
}
