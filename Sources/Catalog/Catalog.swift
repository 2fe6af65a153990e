/// The SQLite media catalog.
enum CatalogModule {}
