/// Model download and cache.
enum ModelStoreModule {}
