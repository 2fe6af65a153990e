/// Exact nearest-neighbour search over embedding matrices.
enum VectorIndexModule {}
