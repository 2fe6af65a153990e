/// Indexer, searcher, queries.
enum SearchCoreModule {}
