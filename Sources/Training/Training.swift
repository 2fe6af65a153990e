/// Contrastive training of CLIP models (issue 5).
enum TrainingModule {}
