#!/usr/bin/env bash
# One command: install system packages, build in release mode, and run the main job:
# embed texts and photos with a model, then benchmark the engine.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/install-system-packages.sh
swift build -c release --product clip-search
binary=.build/release/clip-search
model="${CLIPSEARCH_MODEL:-Tests/Fixtures/models/tiny-quickgelu}"
echo "== tokenize"
"$binary" tokenize --model "$model" "a photo of a cat" "東京タワーの夜景"
echo "== embed (first 8 numbers of each embedding)"
"$binary" embed --model "$model" --text "a photo of a cat" --image Tests/Fixtures/photos/chelsea-rgba.png \
  | sed -E 's/("embedding":\[([^,]*,){8}).*/\1...]}/'
echo "== bench (full-size ViT-B/32, random weights)"
"$binary" bench
