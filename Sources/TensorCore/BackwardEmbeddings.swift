/// Rows looked up in several embedding tables and summed (BERT's word + token-type + position
/// embeddings), forward and backward.
public enum EmbeddingLookup {
    /// One table and, per output row, which of its rows to add.
    public struct Lookup {
        public let table: Tensor
        public let indices: [Int]

        public init(table: Tensor, indices: [Int]) {
            self.table = table
            self.indices = indices
        }
    }

    /// out[r] = Σₜ tableₜ[indicesₜ[r]], added in the order given so a caller can reproduce its reference's
    /// float rounding (transformers' BERT adds (word + token type) + position). Indices must be in range.
    public static func sum(_ lookups: [Lookup]) -> Tensor {
        precondition(!lookups.isEmpty, "embedding sum of no tables")
        let rows = lookups[0].indices.count, width = lookups[0].table.count / max(1, lookups[0].table.shape[0])
        let result = Tensor(uninitializedShape: [rows, width])
        for lookup in lookups {
            precondition(lookup.indices.count == rows && lookup.table.count / lookup.table.shape[0] == width,
                         "embedding sum: \(lookup.table.shape) with \(lookup.indices.count) indices, expected \(rows) rows of \(width)")
        }
        for row in 0..<rows {
            let output = result.pointer + row * width
            output.update(from: lookups[0].table.pointer + lookups[0].indices[row] * width, count: width)
            for lookup in lookups.dropFirst() {
                let source = lookup.table.pointer + lookup.indices[row] * width
                for index in 0..<width { output[index] += source[index] }
            }
        }
        return result
    }

    /// Backward of `sum`: each table's gradient (the `table` of each lookup here) gets
    /// gradient[tableₜ row indicesₜ[r]] += outputGradient[r], for the rows in `rows` (nil: every row).
    /// Callers pass only the rows that can carry gradient (padding rows carry exactly zero).
    public static func backward(outputGradient: Tensor, into gradients: [Lookup], rows: [Int]? = nil) {
        let selected = rows ?? Array(0..<outputGradient.shape[0])
        let used = BackwardOperations.gatherRows(outputGradient, indices: selected)
        for lookup in gradients {
            BackwardOperations.scatterAddRows(used, indices: selected.map { lookup.indices[$0] }, into: lookup.table)
        }
    }
}
