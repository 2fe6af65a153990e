#!/usr/bin/env bash
# One command: install system packages, build in release mode, and run the main job: tokenize and
# embed with a model, index the test gallery, search it by text and by image, benchmark the engine.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/install-system-packages.sh
swift build -c release --product clip-search
binary=.build/release/clip-search
model="${CLIPSEARCH_MODEL:-Tests/Fixtures/models/tiny-quickgelu}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== tokenize"
"$binary" tokenize --model "$model" "a photo of a cat" "東京タワーの夜景"
echo "== embed (first 8 numbers of each embedding)"
"$binary" embed --model "$model" --text "a photo of a cat" --image Tests/Fixtures/photos/chelsea-rgba.png \
  | sed -E 's/("embedding":\[([^,]*,){8}).*/\1...]}/'
echo "== index the test gallery"
"$binary" index --model "$model" --db "$work/catalog.sqlite" Tests/Fixtures/gallery || true
echo "== search by text"
"$binary" search --model "$model" --db "$work/catalog.sqlite" "a photo of a rocket" --top 5
echo "== search by image"
"$binary" search --model "$model" --db "$work/catalog.sqlite" Tests/Fixtures/photos/chelsea-rgba.png --top 5
echo "== near-duplicates"
"$binary" duplicates --db "$work/catalog.sqlite"
echo "== bench (full-size ViT-B/32, random weights)"
"$binary" bench
